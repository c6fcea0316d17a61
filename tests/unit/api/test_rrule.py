"""Recurrence rules: parsing the supported subset and stepping it in a time zone, across DST."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kanban.api.templates.rrule import InvalidRecurrence, next_occurrence, parse_rrule, parse_timezone


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def test_weekly_on_friday_at_14_in_utc() -> None:
    # 2026-01-07 is a Wednesday.
    after = utc(2026, 1, 7, 10, 0)
    assert next_occurrence("FREQ=WEEKLY;BYDAY=FR;BYHOUR=14", "UTC", after) == utc(2026, 1, 9, 14, 0)


def test_next_is_strictly_after() -> None:
    at = utc(2026, 1, 9, 14, 0)
    assert next_occurrence("FREQ=WEEKLY;BYDAY=FR;BYHOUR=14", "UTC", at) == utc(2026, 1, 16, 14, 0)


def test_daily_defaults_to_the_anchor_time_of_day() -> None:
    start = utc(2026, 1, 1, 8, 30)
    assert next_occurrence("FREQ=DAILY", "UTC", utc(2026, 1, 5, 9, 0), start=start) == utc(2026, 1, 6, 8, 30)


def test_interval_counts_from_the_anchor() -> None:
    start = utc(2026, 1, 1, 9, 0)
    rule = "FREQ=DAILY;INTERVAL=3;BYHOUR=9"
    assert next_occurrence(rule, "UTC", utc(2026, 1, 2), start=start) == utc(2026, 1, 4, 9, 0)
    assert next_occurrence(rule, "UTC", utc(2026, 3, 1), start=start) == utc(2026, 3, 2, 9, 0)  # day 60


def test_daily_with_byday_is_weekdays_only() -> None:
    # 2026-01-09 is a Friday: the next weekday is Monday the 12th.
    rule = "FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR;BYHOUR=7;BYMINUTE=15"
    assert next_occurrence(rule, "UTC", utc(2026, 1, 9, 8, 0)) == utc(2026, 1, 12, 7, 15)


def test_several_times_a_day() -> None:
    rule = "FREQ=DAILY;BYHOUR=9,17;BYMINUTE=0,30"
    assert next_occurrence(rule, "UTC", utc(2026, 1, 1, 9, 10)) == utc(2026, 1, 1, 9, 30)
    assert next_occurrence(rule, "UTC", utc(2026, 1, 1, 17, 30)) == utc(2026, 1, 2, 9, 0)


def test_every_other_week() -> None:
    start = utc(2026, 1, 5, 0, 0)  # a Monday
    rule = "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO;BYHOUR=9"
    assert next_occurrence(rule, "UTC", utc(2026, 1, 5, 10, 0), start=start) == utc(2026, 1, 19, 9, 0)


def test_monthly_by_month_day_skips_short_months() -> None:
    rule = "FREQ=MONTHLY;BYMONTHDAY=31;BYHOUR=12"
    assert next_occurrence(rule, "UTC", utc(2026, 1, 31, 13, 0)) == utc(2026, 3, 31, 12, 0)


def test_monthly_last_friday_and_last_day() -> None:
    assert next_occurrence("FREQ=MONTHLY;BYDAY=-1FR;BYHOUR=16", "UTC", utc(2026, 1, 1)) == utc(2026, 1, 30, 16, 0)
    assert next_occurrence("FREQ=MONTHLY;BYMONTHDAY=-1;BYHOUR=0", "UTC", utc(2026, 2, 1)) == utc(2026, 2, 28, 0, 0)


def test_monthly_defaults_to_the_anchor_day() -> None:
    start = utc(2026, 1, 15, 6, 0)
    assert next_occurrence("FREQ=MONTHLY", "UTC", utc(2026, 1, 20), start=start) == utc(2026, 2, 15, 6, 0)


def test_count_ends_the_rule() -> None:
    start = utc(2026, 1, 1, 9, 0)
    rule = "FREQ=DAILY;COUNT=3;BYHOUR=9"
    assert next_occurrence(rule, "UTC", utc(2026, 1, 2, 10, 0), start=start) == utc(2026, 1, 3, 9, 0)
    assert next_occurrence(rule, "UTC", utc(2026, 1, 3, 10, 0), start=start) is None


def test_until_ends_the_rule_inclusively() -> None:
    rule = "FREQ=DAILY;UNTIL=20260103;BYHOUR=9"
    assert next_occurrence(rule, "UTC", utc(2026, 1, 2, 10, 0)) == utc(2026, 1, 3, 9, 0)
    assert next_occurrence(rule, "UTC", utc(2026, 1, 3, 10, 0)) is None
    assert next_occurrence("FREQ=DAILY;UNTIL=20260103T085959Z;BYHOUR=9", "UTC", utc(2026, 1, 2, 10, 0)) is None


def test_wall_clock_time_is_kept_across_spring_forward() -> None:
    # Europe/Berlin moves from +01:00 to +02:00 on 2026-03-29.
    rule = "FREQ=DAILY;BYHOUR=9"
    assert next_occurrence(rule, "Europe/Berlin", utc(2026, 3, 28, 9, 0)) == utc(2026, 3, 29, 7, 0)
    assert next_occurrence(rule, "Europe/Berlin", utc(2026, 3, 27, 9, 0)) == utc(2026, 3, 28, 8, 0)


def test_wall_clock_time_is_kept_across_fall_back() -> None:
    # America/New_York moves from -04:00 to -05:00 on 2026-11-01.
    rule = "FREQ=WEEKLY;BYDAY=MO;BYHOUR=9"
    assert next_occurrence(rule, "America/New_York", utc(2026, 10, 27)) == utc(2026, 11, 2, 14, 0)
    assert next_occurrence(rule, "America/New_York", utc(2026, 10, 20)) == utc(2026, 10, 26, 13, 0)


def test_a_time_in_the_spring_forward_gap_moves_forward() -> None:
    # 02:30 does not exist in Berlin on 2026-03-29; RFC 5545 makes it 03:30 local (01:30 UTC).
    assert next_occurrence("FREQ=DAILY;BYHOUR=2;BYMINUTE=30", "Europe/Berlin", utc(2026, 3, 28, 12, 0)) == utc(
        2026, 3, 29, 1, 30
    )


def test_an_ambiguous_time_is_its_first_instance() -> None:
    # 01:30 happens twice in New York on 2026-11-01; the first is at -04:00.
    assert next_occurrence("FREQ=DAILY;BYHOUR=1;BYMINUTE=30", "America/New_York", utc(2026, 10, 31, 12, 0)) == utc(
        2026, 11, 1, 5, 30
    )


def test_a_rule_that_never_matches_ends() -> None:
    start = utc(2026, 4, 1, 0, 0)
    assert next_occurrence("FREQ=MONTHLY;INTERVAL=12;BYMONTHDAY=31", "UTC", start, start=start) is None


def test_rrule_prefix_and_lower_case_are_accepted() -> None:
    assert parse_rrule("RRULE:freq=weekly;byday=mo,fr").freq == "WEEKLY"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "FREQ=YEARLY",
        "FREQ=HOURLY",
        "BYDAY=MO",
        "FREQ=DAILY;INTERVAL=0",
        "FREQ=DAILY;INTERVAL=x",
        "FREQ=DAILY;BYHOUR=24",
        "FREQ=DAILY;BYMINUTE=60",
        "FREQ=WEEKLY;BYDAY=XX",
        "FREQ=WEEKLY;BYDAY=1MO",
        "FREQ=DAILY;COUNT=2;UNTIL=20260101",
        "FREQ=DAILY;UNTIL=2026-01-01",
        "FREQ=DAILY;FREQ=WEEKLY",
        "FREQ=DAILY;BYSETPOS=1",
        "FREQ=DAILY;BYMONTHDAY=1",
        "FREQ=MONTHLY;BYMONTHDAY=0",
        "FREQ=DAILY;;",
    ],
)
def test_invalid_rules_are_refused(text: str) -> None:
    with pytest.raises(InvalidRecurrence):
        parse_rrule(text)


@pytest.mark.parametrize("name", ["Mars/Olympus", "", "../etc/passwd", "Europe/Berlin "])
def test_invalid_time_zones_are_refused(name: str) -> None:
    with pytest.raises(InvalidRecurrence):
        parse_timezone(name)


# --- properties over many rules, zones and instants -----------------------------------------


ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata"]
DAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]


@st.composite
def rules(draw: st.DrawFn) -> str:
    freq = draw(st.sampled_from(["DAILY", "WEEKLY", "MONTHLY"]))
    parts = [f"FREQ={freq}", f"INTERVAL={draw(st.integers(1, 4))}"]
    if draw(st.booleans()):
        parts.append("BYDAY=" + ",".join(draw(st.lists(st.sampled_from(DAYS), min_size=1, max_size=3, unique=True))))
    parts.append(
        "BYHOUR=" + ",".join(str(h) for h in draw(st.lists(st.integers(0, 23), min_size=1, max_size=2, unique=True)))
    )
    parts.append(f"BYMINUTE={draw(st.integers(0, 59))}")
    return ";".join(parts)


instants = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31)).map(
    lambda d: d.replace(tzinfo=UTC, microsecond=0)
)


@settings(max_examples=300, deadline=None)
@given(rule=rules(), tz=st.sampled_from(ZONES), start=instants, gap=st.integers(0, 800 * 24 * 60))
def test_next_is_after_and_nothing_is_skipped(rule: str, tz: str, start: datetime, gap: int) -> None:
    after = start + timedelta(minutes=gap)
    found = next_occurrence(rule, tz, after, start=start)
    assert found is not None
    assert found > after
    # Nothing between: asking from just before the answer gives the same answer.
    assert next_occurrence(rule, tz, found - timedelta(seconds=1), start=start) == found
    zone = ZoneInfo(tz)
    local = found.astimezone(zone)
    if local.utcoffset() != (found - timedelta(hours=3)).astimezone(zone).utcoffset():
        return  # just after a DST change, a time in the gap was shifted forward
    parsed = parse_rrule(rule)
    assert (local.hour, local.minute) in {(h, parsed.by_minute[0]) for h in parsed.by_hour}
    if parsed.by_day:
        assert local.weekday() in {d.weekday for d in parsed.by_day}

"""Recurrence rules: a practical subset of RFC 5545 RRULE, parsed and stepped in the template's time zone.

Supported: FREQ=DAILY|WEEKLY|MONTHLY, INTERVAL, BYDAY (with an ordinal such as 1MO or -1FR for
MONTHLY only), BYMONTHDAY, BYHOUR, BYMINUTE, and one of COUNT or UNTIL. Occurrences are wall-clock
times in the zone: 09:00 stays 09:00 across daylight-saving changes. A time that does not exist
(spring forward) is shifted forward by the gap, and an ambiguous one (fall back) is its first
instance, both as RFC 5545 prescribes.

The rule is anchored at `start` (DTSTART): INTERVAL and COUNT count from it, and a missing BYHOUR
takes its hour. A missing BYMINUTE is 0 when BYHOUR is given ("BYHOUR=14" means 14:00) and the
start's minute otherwise.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

Frequency = Literal["DAILY", "WEEKLY", "MONTHLY"]
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
MAX_COUNT = 10_000
MAX_INTERVAL = 1_000
# Periods searched before a rule is declared to never occur again (e.g. BYMONTHDAY=31 every 12th
# month from April); a COUNT rule may need up to 12 periods per occurrence (a 5th Monday, monthly).
_MAX_PERIODS = 5_000


class InvalidRecurrence(ValueError):
    """The text is not a rule of the supported subset; the message says which part."""


@dataclass(frozen=True)
class WeekdaySpec:
    weekday: int  # 0 = Monday
    ordinal: int | None = None  # 1..5 or -1..-5, MONTHLY only


@dataclass(frozen=True)
class RecurrenceRule:
    freq: Frequency
    interval: int = 1
    by_day: tuple[WeekdaySpec, ...] = ()
    by_month_day: tuple[int, ...] = ()
    by_hour: tuple[int, ...] = ()
    by_minute: tuple[int, ...] = ()
    count: int | None = None
    until: str | None = None  # as written; resolved against the zone when stepping


def parse_rrule(text: str) -> RecurrenceRule:
    """Parse `FREQ=...;...` (an `RRULE:` prefix is allowed); raises InvalidRecurrence."""
    body = text.strip()
    if body.upper().startswith("RRULE:"):
        body = body[6:]
    if not body:
        raise InvalidRecurrence("the rule is empty")
    parts: dict[str, str] = {}
    for part in body.split(";"):
        key, sep, value = part.partition("=")
        key = key.strip().upper()
        if not sep or not key or not value.strip():
            raise InvalidRecurrence(f"{part!r} is not KEY=VALUE")
        if key in parts:
            raise InvalidRecurrence(f"{key} is given twice")
        parts[key] = value.strip().upper()
    unknown = set(parts) - {"FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "BYHOUR", "BYMINUTE", "COUNT", "UNTIL"}
    if unknown:
        raise InvalidRecurrence(f"unsupported part(s): {', '.join(sorted(unknown))}")
    freq = parts.get("FREQ")
    if freq not in ("DAILY", "WEEKLY", "MONTHLY"):
        raise InvalidRecurrence("FREQ must be DAILY, WEEKLY or MONTHLY")
    if "COUNT" in parts and "UNTIL" in parts:
        raise InvalidRecurrence("COUNT and UNTIL cannot both be given")
    if "UNTIL" in parts:
        _parse_until(parts["UNTIL"], UTC)  # validates the format
    by_day = tuple(_parse_weekday(v, freq) for v in _split(parts.get("BYDAY")))
    by_month_day = _ints(parts.get("BYMONTHDAY"), "BYMONTHDAY", -31, 31)
    if 0 in by_month_day:
        raise InvalidRecurrence("BYMONTHDAY cannot be 0")
    if by_month_day and freq != "MONTHLY":
        raise InvalidRecurrence("BYMONTHDAY is only supported with FREQ=MONTHLY")
    return RecurrenceRule(
        freq=freq,  # type: ignore[arg-type]
        interval=_int(parts.get("INTERVAL", "1"), "INTERVAL", 1, MAX_INTERVAL),
        by_day=by_day,
        by_month_day=by_month_day,
        by_hour=_ints(parts.get("BYHOUR"), "BYHOUR", 0, 23),
        by_minute=_ints(parts.get("BYMINUTE"), "BYMINUTE", 0, 59),
        count=_int(parts["COUNT"], "COUNT", 1, MAX_COUNT) if "COUNT" in parts else None,
        until=parts.get("UNTIL"),
    )


def parse_timezone(name: str) -> ZoneInfo:
    """An IANA zone by name; raises InvalidRecurrence for anything else."""
    if not name or name != name.strip() or name.startswith("/") or ".." in name:
        raise InvalidRecurrence(f"{name!r} is not an IANA time zone")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidRecurrence(f"{name!r} is not an IANA time zone") from None


def next_occurrence(rrule: str, tz: str, after: datetime, *, start: datetime | None = None) -> datetime | None:
    """The first occurrence strictly after `after` (UTC), or None when the rule has ended.

    `start` is the rule's anchor (DTSTART); it defaults to `after`. Both must be aware datetimes.
    """
    rule = parse_rrule(rrule)
    zone = parse_timezone(tz)
    if after.tzinfo is None or (start is not None and start.tzinfo is None):
        raise ValueError("next_occurrence needs aware datetimes")
    anchor = (start or after).astimezone(zone).replace(second=0, microsecond=0, tzinfo=None)
    until = _parse_until(rule.until, zone) if rule.until else None
    first_period = 0 if rule.count is not None else _period_near(rule, anchor, after.astimezone(zone))
    for seen, local in enumerate(_occurrences(rule, anchor, first_period), start=1):
        when = wall_time_to_utc(local, zone)
        if until is not None and when > until:
            return None
        if rule.count is not None and seen > rule.count:
            return None
        if when > after:
            return when
    return None


# --- stepping -----------------------------------------------------------------------------


def _occurrences(rule: RecurrenceRule, anchor: datetime, first_period: int) -> Iterator[datetime]:
    """Wall-clock occurrences from `anchor` on, in order, starting at period `first_period`."""
    times = _times_of_day(rule, anchor)
    limit = _MAX_PERIODS + 12 * (rule.count or 0)
    for period in range(first_period, first_period + limit):
        for day in _days_of_period(rule, anchor.date(), period):
            for t in times:
                candidate = datetime.combine(day, t)
                if candidate >= anchor:
                    yield candidate


def _times_of_day(rule: RecurrenceRule, anchor: datetime) -> list[time]:
    hours = rule.by_hour or (anchor.hour,)
    minutes = rule.by_minute or ((0,) if rule.by_hour else (anchor.minute,))
    return sorted({time(h, m) for h in hours for m in minutes})


def _days_of_period(rule: RecurrenceRule, start: date, period: int) -> list[date]:
    weekdays = {spec.weekday for spec in rule.by_day}
    if rule.freq == "DAILY":
        day = start + timedelta(days=period * rule.interval)
        return [day] if not weekdays or day.weekday() in weekdays else []
    if rule.freq == "WEEKLY":
        monday = start - timedelta(days=start.weekday()) + timedelta(weeks=period * rule.interval)
        return [monday + timedelta(days=d) for d in sorted(weekdays or {start.weekday()})]
    months = start.year * 12 + start.month - 1 + period * rule.interval
    return _days_of_month(rule, months // 12, months % 12 + 1, start.day)


def _days_of_month(rule: RecurrenceRule, year: int, month: int, default_day: int) -> list[date]:
    length = calendar.monthrange(year, month)[1]
    days: set[int] = set()
    for spec in rule.by_day:
        matching = [d for d in range(1, length + 1) if date(year, month, d).weekday() == spec.weekday]
        if spec.ordinal is None:
            days.update(matching)
        elif abs(spec.ordinal) <= len(matching):
            days.add(matching[spec.ordinal - 1 if spec.ordinal > 0 else spec.ordinal])
    month_days = {d if d > 0 else length + d + 1 for d in rule.by_month_day}
    month_days = {d for d in month_days if 1 <= d <= length}
    if rule.by_day and rule.by_month_day:
        days &= month_days  # both given: a day must match both, as in RFC 5545
    elif rule.by_month_day:
        days = month_days
    elif not rule.by_day and default_day <= length:
        days = {default_day}  # a month without that day (the 31st) is skipped, as in RFC 5545
    return [date(year, month, d) for d in sorted(days)]


def _period_near(rule: RecurrenceRule, anchor: datetime, after_local: datetime) -> int:
    """A period index at or before the one holding `after`: lets a long-running rule skip ahead."""
    if after_local.replace(tzinfo=None) <= anchor:
        return 0
    if rule.freq == "DAILY":
        elapsed = (after_local.date() - anchor.date()).days
    elif rule.freq == "WEEKLY":
        elapsed = (after_local.date() - anchor.date()).days // 7
    else:
        elapsed = (after_local.year - anchor.year) * 12 + after_local.month - anchor.month
    return max(0, elapsed // rule.interval - 1)


def wall_time_to_utc(local: datetime, zone: tzinfo) -> datetime:
    aware = local.replace(tzinfo=zone, fold=0)
    # A wall time in a spring-forward gap does not round-trip; fold=0 resolves it with the offset
    # before the gap, which moves it forward by the gap's length (RFC 5545, 3.3.5).
    return aware.astimezone(UTC)


# --- parsing helpers ----------------------------------------------------------------------


def _split(value: str | None) -> list[str]:
    if value is None:
        return []
    items = [v.strip() for v in value.split(",")]
    if any(not v for v in items):
        raise InvalidRecurrence(f"{value!r} has an empty item")
    return items


def _int(value: str, name: str, low: int, high: int) -> int:
    try:
        number = int(value)
    except ValueError:
        raise InvalidRecurrence(f"{name} must be an integer, not {value!r}") from None
    if not low <= number <= high:
        raise InvalidRecurrence(f"{name} must be between {low} and {high}")
    return number


def _ints(value: str | None, name: str, low: int, high: int) -> tuple[int, ...]:
    return tuple(sorted({_int(v, name, low, high) for v in _split(value)}))


def _parse_weekday(value: str, freq: str) -> WeekdaySpec:
    code, prefix = value[-2:], value[:-2]
    if code not in WEEKDAYS:
        raise InvalidRecurrence(f"BYDAY {value!r} is not one of {', '.join(WEEKDAYS)}")
    if not prefix:
        return WeekdaySpec(WEEKDAYS.index(code))
    if freq != "MONTHLY":
        raise InvalidRecurrence(f"BYDAY {value!r}: an ordinal is only supported with FREQ=MONTHLY")
    ordinal = _int(prefix.lstrip("+"), "BYDAY ordinal", -5, 5)
    if ordinal == 0:
        raise InvalidRecurrence("BYDAY ordinal cannot be 0")
    return WeekdaySpec(WEEKDAYS.index(code), ordinal)


def _parse_until(value: str, zone: tzinfo) -> datetime:
    """UNTIL as UTC: `...Z` is UTC, a floating date-time is in the zone, a date includes that whole day."""
    try:
        if len(value) == 8:
            day = datetime.strptime(value, "%Y%m%d")
            return wall_time_to_utc(day + timedelta(days=1) - timedelta(microseconds=1), zone)
        if value.endswith("Z"):
            return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        return wall_time_to_utc(datetime.strptime(value, "%Y%m%dT%H%M%S"), zone)
    except ValueError:
        raise InvalidRecurrence(f"UNTIL {value!r} is not YYYYMMDD or YYYYMMDDTHHMMSS[Z]") from None

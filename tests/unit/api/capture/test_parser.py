"""The quick-add parser over a table of phrases, each with a fixed "now" and time zone (DST edges included)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kanban.api.capture.parser import parse

B, NY, UTC_, SYD = "Europe/Berlin", "America/New_York", "UTC", "Australia/Sydney"
TUE = "2026-12-01T10:00"  # a Tuesday morning
TUE_EVE = "2026-12-01T22:30"

# (text, zone, now as local wall time, what is expected). `due` is local wall time in the zone.
# fmt: off
CASES: list[tuple[str, str, str, dict[str, Any]]] = [
    # the example, every part at once
    ("Call Anna fri 3pm @phone #family +Garden !high ~15m", B, TUE,
     {"title": "Call Anna", "due": "2026-12-04T15:00", "context": "PHONE", "tags": ["family"], "project": "Garden",
      "priority": "HIGH", "duration": 15}),
    ("Buy milk", B, TUE, {"title": "Buy milk"}),
    ("", B, TUE, {"title": ""}),
    # relative days
    ("Pay rent today", B, TUE, {"title": "Pay rent", "due": "2026-12-01T23:59", "all_day": True}),
    ("Pay rent tomorrow", B, TUE, {"title": "Pay rent", "due": "2026-12-02T23:59", "all_day": True}),
    ("Call mum tonight", B, TUE, {"title": "Call mum", "due": "2026-12-01T20:00"}),
    ("Call mum tonight at 9pm", B, TUE, {"title": "Call mum", "due": "2026-12-01T21:00"}),
    ("Tomorrow: send invoice", B, TUE, {"title": "send invoice", "due": "2026-12-02T23:59"}),
    ("tomorrow 9am dentist", B, TUE, {"title": "dentist", "due": "2026-12-02T09:00"}),
    ("dentist tomorrow at 9:15am", B, TUE, {"title": "dentist", "due": "2026-12-02T09:15"}),
    ("dentist tomorrow 17:45", B, TUE, {"title": "dentist", "due": "2026-12-02T17:45"}),
    # weekdays: the first one after today; "this" includes today
    ("Report fri", B, TUE, {"title": "Report", "due": "2026-12-04T23:59"}),
    ("Report friday", B, TUE, {"title": "Report", "due": "2026-12-04T23:59"}),
    ("Report on friday", B, TUE, {"title": "Report", "due": "2026-12-04T23:59"}),
    ("Report by thursday", B, TUE, {"title": "Report", "due": "2026-12-03T23:59"}),
    # "for" a date is when it is due, and leaves with the date (the title did end "… slides for")
    ("Prepare slides for monday", B, TUE, {"title": "Prepare slides", "due": "2026-12-07T23:59"}),
    ("Book flights for next week", B, TUE, {"title": "Book flights", "due": "2026-12-07T23:59"}),
    ("Buy a gift for mum", B, TUE, {"title": "Buy a gift for mum"}),
    ("Report tue", B, TUE, {"title": "Report", "due": "2026-12-08T23:59"}),
    ("Report this tuesday", B, TUE, {"title": "Report", "due": "2026-12-01T23:59"}),
    ("Report next monday 9am", B, TUE, {"title": "Report", "due": "2026-12-07T09:00"}),
    ("Report monday", B, TUE, {"title": "Report", "due": "2026-12-07T23:59"}),
    ("Plan wednesday", B, TUE, {"title": "Plan", "due": "2026-12-02T23:59"}),
    ("Plan saturday", B, TUE, {"title": "Plan", "due": "2026-12-05T23:59"}),
    ("Plan sunday", B, TUE, {"title": "Plan", "due": "2026-12-06T23:59"}),
    ("Plan thurs 10am", B, TUE, {"title": "Plan", "due": "2026-12-03T10:00"}),
    ("3pm fri call Anna", B, TUE, {"title": "call Anna", "due": "2026-12-04T15:00"}),
    ("call Anna at 3pm on friday", B, TUE, {"title": "call Anna", "due": "2026-12-04T15:00"}),
    ("call Anna fri, about the garden", B, TUE, {"title": "call Anna, about the garden", "due": "2026-12-04T23:59"}),
    # words that are also weekdays or months stay in the title
    ("Sat down with Bob", B, TUE, {"title": "Sat down with Bob"}),
    ("Sun cream for the trip", B, TUE, {"title": "Sun cream for the trip"}),
    ("Wed anniversary gift", B, TUE, {"title": "Wed anniversary gift"}),
    ("May I ask Tom", B, TUE, {"title": "May I ask Tom"}),
    ("Monitor the mondays report", B, TUE, {"title": "Monitor the mondays report"}),
    ("Read The Day of the Jackal", B, TUE, {"title": "Read The Day of the Jackal"}),
    # times alone: today while ahead, else tomorrow
    ("Stand-up 11am", B, TUE, {"title": "Stand-up", "due": "2026-12-01T11:00"}),
    ("Stand-up 9am", B, TUE, {"title": "Stand-up", "due": "2026-12-02T09:00"}),
    ("Stand-up 9 am", B, TUE, {"title": "Stand-up", "due": "2026-12-02T09:00"}),
    ("Lunch at noon", B, TUE, {"title": "Lunch", "due": "2026-12-01T12:00"}),
    ("Train 19:30", B, TUE, {"title": "Train", "due": "2026-12-01T19:30"}),
    ("Train 07:30", B, TUE, {"title": "Train", "due": "2026-12-02T07:30"}),
    ("Late call 11pm", B, TUE_EVE, {"title": "Late call", "due": "2026-12-01T23:00"}),
    ("Late call 10pm", B, TUE_EVE, {"title": "Late call", "due": "2026-12-02T22:00"}),
    # ambiguous phrases are not taken
    ("Meet at 5", B, TUE, {"title": "Meet at 5"}),
    ("Train 7:30", B, TUE, {"title": "Train 7:30"}),
    ("Invoice 12/03", B, TUE, {"title": "Invoice 12/03"}),
    ("Invoice 03.12.", B, TUE, {"title": "Invoice 03.12."}),
    ("Call at 13pm", B, TUE, {"title": "Call at 13pm"}),
    ("Book room 25:00", B, TUE, {"title": "Book room 25:00"}),
    ("Feb 30 party", B, TUE, {"title": "Feb 30 party"}),
    # in N units
    ("Follow up in 3 days", B, TUE, {"title": "Follow up", "due": "2026-12-04T23:59"}),
    ("Follow up in a week", B, TUE, {"title": "Follow up", "due": "2026-12-08T23:59"}),
    ("Follow up in two weeks", B, TUE, {"title": "Follow up", "due": "2026-12-15T23:59"}),
    ("Renew in 2 months", B, TUE, {"title": "Renew", "due": "2027-02-01T23:59"}),
    ("Check oven in 2 hours", B, TUE, {"title": "Check oven", "due": "2026-12-01T12:00"}),
    ("Tea in 15 minutes", B, TUE, {"title": "Tea", "due": "2026-12-01T10:15"}),
    ("Trip next week", B, TUE, {"title": "Trip", "due": "2026-12-07T23:59"}),
    ("Taxes next month", B, TUE, {"title": "Taxes", "due": "2027-01-01T23:59"}),
    ("Believe in magic", B, TUE, {"title": "Believe in magic"}),
    # calendar dates
    ("Party dec 24", B, TUE, {"title": "Party", "due": "2026-12-24T23:59"}),
    ("Party december 24th 8pm", B, TUE, {"title": "Party", "due": "2026-12-24T20:00"}),
    ("Party 24 dec", B, TUE, {"title": "Party", "due": "2026-12-24T23:59"}),
    ("Party 3rd of january", B, TUE, {"title": "Party", "due": "2027-01-03T23:59"}),
    ("Party nov 5", B, TUE, {"title": "Party", "due": "2027-11-05T23:59"}),
    ("Party may 5 2028", B, TUE, {"title": "Party", "due": "2028-05-05T23:59"}),
    ("Report due 2026-12-24", B, TUE, {"title": "Report", "due": "2026-12-24T23:59"}),
    ("Report 2026-02-30", B, TUE, {"title": "Report 2026-02-30"}),
    # only the first date phrase is the due date
    ("Move monday meeting to friday", B, TUE, {"title": "Move meeting to friday", "due": "2026-12-07T23:59"}),
    # contexts (the board's vocabulary and its aliases); an unknown @word stays
    ("Ask Bob @email", B, TUE, {"title": "Ask Bob", "context": "EMAIL"}),
    ("Ask Bob @call", B, TUE, {"title": "Ask Bob", "context": "PHONE"}),
    ("Paper @read", B, TUE, {"title": "Paper", "context": "READ"}),
    ("Talk @computer", B, TUE, {"title": "Talk", "context": "DESK"}),
    ("Thank @anna for the cake", B, TUE, {"title": "Thank @anna for the cake"}),
    ("Plan @meeting @phone", B, TUE, {"title": "Plan @phone", "context": "MEETING"}),
    # tags
    ("Gift #family #xmas", B, TUE, {"title": "Gift", "tags": ["family", "xmas"]}),
    ('Wrap #"gift wrap" now', B, TUE, {"title": "Wrap now", "tags": ["gift wrap"]}),
    ("Fix issue #12", B, TUE, {"title": "Fix issue #12"}),
    ("Dup #a #A", B, TUE, {"title": "Dup", "tags": ["a"]}),
    ("Tagged #home/garden.", B, TUE, {"title": "Tagged.", "tags": ["home/garden"]}),
    # projects
    ('Seeds +"Home garden"', B, TUE, {"title": "Seeds", "project": "Home garden"}),
    ("Learn C++ +Study", B, TUE, {"title": "Learn C++", "project": "Study"}),
    ("Score +1 for me", B, TUE, {"title": "Score +1 for me"}),
    # priority and duration
    ("Fix roof !1", B, TUE, {"title": "Fix roof", "priority": "HIGH"}),
    ("Fix roof !med", B, TUE, {"title": "Fix roof", "priority": "MEDIUM"}),
    ("Fix roof !low", B, TUE, {"title": "Fix roof", "priority": "LOW"}),
    ("Wow!", B, TUE, {"title": "Wow!"}),
    ("Fix roof !urgent", B, TUE, {"title": "Fix roof !urgent"}),
    ("Nap ~20m", B, TUE, {"title": "Nap", "duration": 20}),
    ("Essay ~1h30m", B, TUE, {"title": "Essay", "duration": 90}),
    ("Essay ~1.5h", B, TUE, {"title": "Essay", "duration": 90}),
    ("Essay ~2hrs", B, TUE, {"title": "Essay", "duration": 120}),
    ("About ~ then", B, TUE, {"title": "About ~ then"}),
    # durations in words: units spelled out, number words only after "for"
    ("Call mom for 30 min", B, TUE, {"title": "Call mom", "duration": 30}),
    ("Wait 5 minutes", B, TUE, {"title": "Wait", "duration": 5}),
    ("Review the budget 2 hours", B, TUE, {"title": "Review the budget", "duration": 120}),
    ("Meeting prep 1.5hrs", B, TUE, {"title": "Meeting prep", "duration": 90}),
    ("Walk the dog for an hour", B, TUE, {"title": "Walk the dog", "duration": 60}),
    ("Run for half an hour tomorrow", B, TUE, {"title": "Run", "duration": 30, "due": "2026-12-02T23:59"}),
    ("Call mom 30m", B, TUE, {"title": "Call mom 30m"}),
    ("Swim 400m", B, TUE, {"title": "Swim 400m"}),
    ("Take a minute to breathe", B, TUE, {"title": "Take a minute to breathe"}),
    ("Stretch every 2 hours", B, TUE, {"title": "Stretch every 2 hours"}),
    ("Check the oven in 20 minutes", B, TUE, {"title": "Check the oven", "due": "2026-12-01T10:20"}),
    ("Review for 0 min", B, TUE, {"title": "Review for 0 min"}),
    # recurrence: every ... makes a recurring template
    ("Water plants every monday", B, TUE, {"title": "Water plants", "rrule": "FREQ=WEEKLY;BYDAY=MO;BYHOUR=0;BYMINUTE=0"}),
    ("Standup every weekday at 9:30am", B, TUE,
     {"title": "Standup", "rrule": "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;BYHOUR=9;BYMINUTE=30"}),
    ("Bins every mon and thu 7am", B, TUE, {"title": "Bins", "rrule": "FREQ=WEEKLY;BYDAY=MO,TH;BYHOUR=7;BYMINUTE=0"}),
    ("Stretch every day", B, TUE, {"title": "Stretch", "rrule": "FREQ=DAILY;BYHOUR=0;BYMINUTE=0"}),
    ("Review every 2 weeks", B, TUE, {"title": "Review", "rrule": "FREQ=WEEKLY;INTERVAL=2;BYHOUR=0;BYMINUTE=0"}),
    ("Backup every other day", B, TUE, {"title": "Backup", "rrule": "FREQ=DAILY;INTERVAL=2;BYHOUR=0;BYMINUTE=0"}),
    ("Rent every month on the 1st", B, TUE, {"title": "Rent", "rrule": "FREQ=MONTHLY;BYMONTHDAY=1;BYHOUR=0;BYMINUTE=0"}),
    ("Every time I try", B, TUE, {"title": "Every time I try"}),
    # DST, Europe/Berlin: 2026-03-29 02:00 -> 03:00 and 2026-10-25 03:00 -> 02:00
    ("Night job tomorrow 2:30am", B, "2026-03-28T12:00", {"due": "2026-03-29T03:30"}),
    ("Night job tomorrow 02:30", B, "2026-10-24T12:00", {"due": "2026-10-25T02:30", "offset": 2}),
    ("Oven in 2 hours", B, "2026-03-29T01:30", {"due": "2026-03-29T04:30"}),
    ("Oven in 2 hours", B, "2026-10-25T01:30", {"due": "2026-10-25T02:30", "offset": 1}),
    ("Brunch plan tomorrow", B, "2026-03-28T23:30", {"title": "Brunch plan", "due": "2026-03-29T23:59"}),
    # DST, America/New_York: 2026-03-08 and 2026-11-01
    ("Report tomorrow 9am", NY, "2026-03-07T20:00", {"due": "2026-03-08T09:00", "offset": -4}),
    ("Report tomorrow 9am", NY, "2026-10-31T20:00", {"due": "2026-11-01T09:00", "offset": -5}),
    ("Report fri", NY, "2026-03-07T20:00", {"due": "2026-03-13T23:59"}),
    # the user's zone decides "today" when UTC is already another day
    ("Call today", SYD, "2026-12-02T08:00", {"due": "2026-12-02T23:59"}),
    ("Call today", UTC_, "2026-12-01T21:00", {"due": "2026-12-01T23:59"}),
    ("New year eve dec 31 11pm", B, "2026-12-31T12:00", {"title": "New year eve", "due": "2026-12-31T23:00"}),
    ("Party jan 1", B, "2026-12-31T12:00", {"title": "Party", "due": "2027-01-01T23:59"}),
    # a day of the month, and the end of a month or year: after a preposition or ending the line
    ("Pay rent by the 15th", B, TUE, {"title": "Pay rent", "due": "2026-12-15T23:59", "all_day": True}),
    ("Pay rent on the 1st", B, TUE, {"title": "Pay rent", "due": "2026-12-01T23:59"}),
    ("Pay rent by the 1st", B, "2026-12-02T10:00", {"title": "Pay rent", "due": "2027-01-01T23:59"}),
    ("Call Anna by the 15th 3pm", B, TUE, {"title": "Call Anna", "due": "2026-12-15T15:00"}),
    ("Invoice on the 31st", B, "2027-02-01T10:00", {"title": "Invoice", "due": "2027-03-31T23:59"}),
    ("Pay rent the 15th", B, TUE, {"title": "Pay rent", "due": "2026-12-15T23:59"}),
    ("Read the 5th chapter", B, TUE, {"title": "Read the 5th chapter"}),
    ("Pay by the 32nd", B, TUE, {"title": "Pay by the 32nd"}),
    ("Send the report by end of month", B, TUE, {"title": "Send the report", "due": "2026-12-31T23:59"}),
    ("File taxes by the end of the month", B, "2027-02-10T10:00", {"title": "File taxes", "due": "2027-02-28T23:59"}),
    ("Donate end of year", B, TUE, {"title": "Donate", "due": "2026-12-31T23:59"}),
    ("Clean up the end of month report", B, TUE, {"title": "Clean up the end of month report"}),
    # a backslash keeps a word as text: nothing takes it, the title keeps it without the backslash
    ("Call mum about \\Sunday lunch", B, TUE, {"title": "Call mum about Sunday lunch"}),
    ("Pay rent \\by \\the \\15th", B, TUE, {"title": "Pay rent by the 15th"}),
    ("Ask \\@anna and \\#42 about \\!high", B, TUE, {"title": "Ask @anna and #42 about !high"}),
    ("Email Bob \\fri 3pm", B, TUE, {"title": "Email Bob fri", "due": "2026-12-01T15:00"}),
    ("Read \\30 min summary", B, TUE, {"title": "Read 30 min summary"}),
    ("Copy C:\\temp to the share", B, TUE, {"title": "Copy C:\\temp to the share"}),
]
# fmt: on


@pytest.mark.parametrize(("text", "zone", "now", "expected"), CASES, ids=[f"{c[0]!r}@{c[2]}" for c in CASES])
def test_phrase(text: str, zone: str, now: str, expected: dict[str, Any]) -> None:
    tz = ZoneInfo(zone)
    result = parse(text, now=datetime.fromisoformat(now).replace(tzinfo=tz), tz=tz)
    if "title" in expected:
        assert result.title == expected["title"]
    local_due = result.due_at.astimezone(tz) if result.due_at else None
    assert (local_due.strftime("%Y-%m-%dT%H:%M") if local_due else None) == expected.get("due")
    if "offset" in expected:
        assert local_due is not None and local_due.utcoffset().total_seconds() == expected["offset"] * 3600
    if "all_day" in expected:
        assert result.due_all_day is expected["all_day"]
    assert result.context == expected.get("context")
    assert list(result.tags) == expected.get("tags", [])
    assert result.project == expected.get("project")
    assert result.priority == expected.get("priority")
    assert result.duration_minutes == expected.get("duration")
    assert result.recurrence == expected.get("rrule")


def test_spans_point_at_the_text_they_came_from() -> None:
    text = "Call Anna fri 3pm @phone #family +Garden !high ~15m"
    tz = ZoneInfo(B)
    result = parse(text, now=datetime(2026, 12, 1, 10, tzinfo=tz), tz=tz)
    assert [(s.kind, s.text) for s in result.spans] == [
        ("due", "fri 3pm"), ("context", "@phone"), ("tag", "#family"), ("project", "+Garden"),
        ("priority", "!high"), ("duration", "~15m"),
    ]  # fmt: skip
    assert all(text[s.start : s.end] == s.text for s in result.spans)


def test_a_recurring_capture_with_a_date_warns_that_the_date_is_dropped() -> None:
    tz = ZoneInfo(UTC_)
    result = parse("Water plants every monday from tomorrow", now=datetime(2026, 12, 1, tzinfo=tz), tz=tz)
    assert result.recurrence is not None and result.warnings


def test_the_table_is_large_enough() -> None:
    assert len(CASES) >= 60


# Words the parser reacts to, mixed with ordinary ones, so generated lines hit its phrases and their edges.
_WORDS = [
    "by", "on", "for", "due", "the", "15th", "31st", "end", "of", "month", "year", "every", "in", "2", "30",
    "min", "minutes", "hours", "an", "hour", "half", "fri", "next", "week", "tomorrow", "3pm", "at", "noon",
    "dec", "24", "2027", "@phone", "@anna", "#home", '#"two words"', "+Garden", "!high", "~15m", "\\sunday",
    "\\", "Call", "Anna", "about", "lunch", "sunday", ",", "—", "é", "🙂", "1.5hrs", "0", "999999",
]  # fmt: skip


@settings(deadline=None, max_examples=300)
@given(st.lists(st.one_of(st.sampled_from(_WORDS), st.text(max_size=6)), max_size=14), st.sampled_from([B, NY, SYD]))
def test_any_line_parses_into_spans_of_its_own_text(words: list[str], zone: str) -> None:
    text = " ".join(words)
    tz = ZoneInfo(zone)
    result = parse(text, now=datetime(2026, 12, 1, 10, tzinfo=tz), tz=tz)
    at = 0
    for span in result.spans:  # in order, inside the text, not overlapping, each the text it names
        assert at <= span.start < span.end <= len(text) and span.text == text[span.start : span.end]
        at = span.end
    assert len(result.title) <= len(text)
    if result.duration_minutes is not None:
        assert 0 < result.duration_minutes <= 60 * 24 * 30

"""The quick-add parser: one line of text becomes a task's fields, with the span of every part it took.

Pure (no I/O): `now` and the user's time zone are given, so the same text always gives the same
result. Every channel (the API, email subjects, the CLI, MCP, the bookmarklet) calls `parse`.

A date or time is taken only from phrases that cannot mean two things: "fri", "tomorrow 3pm",
"in 3 days", "dec 24", "2026-12-24", "15:00". "12/03" (day or month first?), "at 5" (am or pm?),
"7:30" (am or pm?), "sat"/"sun"/"wed"/"may" (also ordinary words) stay in the title. A word
written with a backslash in front ("\\sunday") is never taken, and stays in the title without it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Literal, cast

from kanban.api.templates.rrule import WEEKDAYS, wall_time_to_utc
from kanban.contracts.events import Priority, TaskContext

SpanKind = Literal["due", "context", "tag", "project", "priority", "duration", "recurrence"]

# The board's context vocabulary (TaskContext) with the words people type for it.
CONTEXT_WORDS: dict[str, TaskContext] = {
    "email": "EMAIL", "mail": "EMAIL", "meeting": "MEETING", "meet": "MEETING", "phone": "PHONE",
    "call": "PHONE", "calls": "PHONE", "read": "READ", "reading": "READ", "watch": "WATCH",
    "desk": "DESK", "computer": "DESK", "other": "OTHER",
}  # fmt: skip
PRIORITY_WORDS: dict[str, Priority] = {
    "high": "HIGH", "h": "HIGH", "1": "HIGH", "medium": "MEDIUM", "med": "MEDIUM", "m": "MEDIUM",
    "2": "MEDIUM", "low": "LOW", "l": "LOW", "3": "LOW",
}  # fmt: skip
# Weekday names, full or abbreviated; "sat", "sun" and "wed" are left out: they are also words.
WEEKDAY_WORDS: dict[str, int] = {
    "monday": 0, "mon": 0, "tuesday": 1, "tue": 1, "tues": 1, "wednesday": 2, "thursday": 3, "thu": 3,
    "thur": 3, "thurs": 3, "friday": 4, "fri": 4, "saturday": 5, "sunday": 6,
}  # fmt: skip
MONTH_WORDS: dict[str, int] = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4, "may": 5,
    "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9, "sep": 9, "sept": 9,
    "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
}  # fmt: skip
NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                "eight": 8, "nine": 9, "ten": 10, "twelve": 12}  # fmt: skip
DATE_PREPOSITIONS = ("on", "by", "due", "for")
# A date without a time is due at the end of the user's day (and is shown as an all-day date).
END_OF_DAY = time(23, 59)
TONIGHT = time(20, 0)

_TOKEN = re.compile(r'[#+]"[^"\n]+"|\S+')
_ESCAPED = re.compile(r"(?<!\S)\\(?=\S)")  # the backslash that starts a word
_TRAILING = ",.;:!?)"
_TAG = re.compile(r'#(?:"(?P<quoted>[^"\n]+)"|(?P<word>[\w][\w\-/.]*))$')
_PROJECT = re.compile(r'\+(?:"(?P<quoted>[^"\n]+)"|(?P<word>[^\W\d][\w\-/.]*))$')
MAX_DURATION_MINUTES = 60 * 24 * 30
_UNIT_MINUTES = {"min": 1, "mins": 1, "minute": 1, "minutes": 1, "hr": 60, "hrs": 60, "hour": 60, "hours": 60}
_AMOUNT = re.compile(r"\d+(?:\.\d+)?$")
_AMOUNT_AND_UNIT = re.compile(r"(?P<n>\d+(?:\.\d+)?)(?P<unit>mins?|minutes?|hrs?|hours?)$")
_DURATION = re.compile(
    r"~(?:(?P<h>\d+(?:\.\d+)?)\s*(?:h|hr|hrs|hour|hours))?(?:(?P<m>\d+)\s*(?:m|min|mins|minutes?))?$"
)
_CLOCK_12 = re.compile(r"(?P<h>\d{1,2})(?::(?P<m>\d{2}))?\s*(?P<ap>am|pm|a\.m\.|p\.m\.)$")
_CLOCK_24 = re.compile(r"(?P<h>\d{2}):(?P<m>\d{2})$|(?P<h1>1[3-9]|2[0-3]):(?P<m1>\d{2})$")
_ISO_DATE = re.compile(r"(?P<y>\d{4})-(?P<mo>\d{2})-(?P<d>\d{2})$")
_DAY_NUMBER = re.compile(r"(?P<d>\d{1,2})(?:st|nd|rd|th)?$")
_ORDINAL_DAY = re.compile(r"(?P<d>\d{1,2})(?:st|nd|rd|th)$")
_YEAR = re.compile(r"20\d{2}$")


@dataclass(frozen=True)
class Span:
    """One recognised part: its kind, where it is in the text (start inclusive, end exclusive), its value."""

    kind: SpanKind
    start: int
    end: int
    text: str
    value: str


@dataclass(frozen=True)
class ParsedCapture:
    title: str
    due_at: datetime | None = None  # UTC
    due_all_day: bool = False
    context: TaskContext | None = None
    tags: tuple[str, ...] = ()
    project: str | None = None
    priority: Priority | None = None
    duration_minutes: int | None = None
    recurrence: str | None = None  # an RRULE of api/templates/rrule.py's subset
    spans: tuple[Span, ...] = ()
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Token:
    start: int
    end: int
    raw: str

    @property
    def word(self) -> str:
        """Lower-cased, without trailing punctuation ("fri," is "fri")."""
        return self.raw.rstrip(_TRAILING).lower()

    @property
    def word_end(self) -> int:
        return self.start + len(self.raw.rstrip(_TRAILING))


@dataclass(frozen=True)
class _When:
    """A matched date and/or time phrase: how many tokens it took and what it means."""

    taken: int
    day: date | None = None
    clock: time | None = None
    exact: datetime | None = None  # "in 2 hours": already a moment
    default_clock: time | None = None


@dataclass
class _Result:
    spans: list[Span] = field(default_factory=list)
    used: set[int] = field(default_factory=set)
    warnings: list[str] = field(default_factory=list)


def parse(text: str, *, now: datetime, tz: tzinfo) -> ParsedCapture:
    """Parse one line of quick-add text; `now` is aware, `tz` is the user's zone."""
    if now.tzinfo is None:
        raise ValueError("parse needs an aware `now`")
    tokens = [_Token(m.start(), m.end(), m.group()) for m in _TOKEN.finditer(text)]
    local_now = now.astimezone(tz)
    out = _Result()
    fields: dict[str, object] = {"tags": []}
    i = 0
    while i < len(tokens):
        taken = _sigil(tokens[i], fields, out) or _recurrence(tokens, i, fields, out)
        if not taken and "due_at" not in fields:
            taken = _due(tokens, i, local_now, tz, fields, out)
        if not taken and "duration_minutes" not in fields:
            taken = _duration_phrase(tokens, i, fields, out)
        if taken:
            out.used.update(range(i, i + taken))
            i += taken
        else:
            i += 1
    if "recurrence" in fields and "due_at" in fields:
        out.warnings.append("a recurring capture makes a template; its due date is not kept")
    title = _title(text, out.spans)
    return ParsedCapture(
        title=title,
        due_at=cast(datetime | None, fields.get("due_at")),
        due_all_day=bool(fields.get("due_all_day", False)),
        context=cast(TaskContext | None, fields.get("context")),
        tags=tuple(cast(list[str], fields["tags"])),
        project=cast(str | None, fields.get("project")),
        priority=cast(Priority | None, fields.get("priority")),
        duration_minutes=cast(int | None, fields.get("duration_minutes")),
        recurrence=cast(str | None, fields.get("recurrence")),
        spans=tuple(
            Span(s.kind, s.start, s.end, text[s.start : s.end], s.value)
            for s in sorted(out.spans, key=lambda s: s.start)
        ),
        warnings=tuple(out.warnings),
    )


def _title(text: str, spans: list[Span]) -> str:
    pieces, at = [], 0
    for span in sorted(spans, key=lambda s: s.start):
        pieces.append(text[at : span.start])
        at = span.end
    pieces.append(text[at:])
    title = re.sub(r"\s+", " ", "".join(pieces)).strip()
    # A word written with a backslash in front is text as it is ("\sunday", "\@anna"): no part
    # matches it, and the title keeps it without the backslash.
    title = _ESCAPED.sub("", title)
    # What a removed phrase leaves behind: "Call Anna , about" or a dangling "-" at the end.
    title = re.sub(r"\s+([,.;:!?])(?=\s|$)", r"\1", title)
    return title.strip(" ,;:-–")


# --- @context #tag +project !priority ~duration -------------------------------------------


def _sigil(token: _Token, fields: dict[str, object], out: _Result) -> int:
    raw = token.raw
    head = raw[:1]
    if head not in "@#+!~" or len(raw) < 2:
        return 0
    bare = raw if '"' in raw else raw.rstrip(_TRAILING) if head != "!" else raw.rstrip(",.;:)")
    end = token.start + len(bare)
    found: tuple[SpanKind, str] | None = None
    if head == "@":
        context = CONTEXT_WORDS.get(bare[1:].lower())
        if context is not None and "context" not in fields:
            fields["context"] = context
            found = ("context", context)
    elif head == "#" and (m := _TAG.match(bare)):
        name = (m.group("quoted") or m.group("word")).strip()
        tags = cast(list[str], fields["tags"])
        if name and not name.isdigit() and len(name) <= 100:
            if name.lower() not in (t.lower() for t in tags):
                tags.append(name)
            found = ("tag", name)
    elif head == "+" and (m := _PROJECT.match(bare)):
        name = (m.group("quoted") or m.group("word")).strip()
        if name and "project" not in fields:
            fields["project"] = name
            found = ("project", name)
    elif head == "!":
        priority = PRIORITY_WORDS.get(bare[1:].lower())
        if priority is not None and "priority" not in fields:
            fields["priority"] = priority
            found = ("priority", priority)
    elif head == "~" and (m := _DURATION.match(bare.lower())) and (m.group("h") or m.group("m")):
        minutes = round(float(m.group("h") or 0) * 60) + int(m.group("m") or 0)
        if 0 < minutes <= MAX_DURATION_MINUTES and "duration_minutes" not in fields:
            fields["duration_minutes"] = minutes
            found = ("duration", str(minutes))
    if found is None:
        return 0
    out.spans.append(Span(kind=found[0], start=token.start, end=end, text=bare, value=found[1]))
    return 1


def _duration_phrase(tokens: list[_Token], i: int, fields: dict[str, object], out: _Result) -> int:
    """ "30 min", "45 minutes", "2 hours", "1.5 hrs", "for 20 mins", "for an hour", "for half an hour".

    Spelled-out units only ("30m" needs its "~": "400m" is as often metres), and a number written
    as a word only after "for" ("take a minute" is no duration).
    """
    if i > 0 and tokens[i - 1].word in ("every", "each", "in", "within", "after"):
        return 0  # "every 2 hours", "in 5 minutes": how often or when, not how long
    lead = 1 if tokens[i].word == "for" else 0
    words = [t.word for t in tokens[i + lead : i + lead + 3]]
    if not words:
        return 0
    amount: float | None = None
    unit, taken = None, 0
    if lead and words[:3] == ["half", "an", "hour"]:
        amount, unit, taken = 0.5, "hour", 3
    elif m := _AMOUNT_AND_UNIT.match(words[0]):
        amount, unit, taken = float(m.group("n")), m.group("unit"), 1
    elif len(words) >= 2 and words[1] in _UNIT_MINUTES:
        if _AMOUNT.match(words[0]):
            amount = float(words[0])
        elif lead and words[0] in NUMBER_WORDS:
            amount = float(NUMBER_WORDS[words[0]])
        unit, taken = words[1], 2
    if amount is None or unit is None:
        return 0
    minutes = round(amount * _UNIT_MINUTES[unit])
    if not 0 < minutes <= MAX_DURATION_MINUTES:
        return 0
    taken += lead
    fields["duration_minutes"] = minutes
    out.spans.append(Span("duration", tokens[i].start, tokens[i + taken - 1].word_end, "", str(minutes)))
    return taken


# --- every monday ---------------------------------------------------------------------------


def _recurrence(tokens: list[_Token], i: int, fields: dict[str, object], out: _Result) -> int:
    if tokens[i].word != "every" or "recurrence" in fields or i + 1 >= len(tokens):
        return 0
    words = [t.word for t in tokens[i + 1 : i + 8]]
    rule, taken = _recurrence_rule(words)
    if rule is None:
        return 0
    clock, extra = _clock_after(tokens, i + 1 + taken)
    hour, minute = (clock.hour, clock.minute) if clock else (0, 0)
    rule += f";BYHOUR={hour};BYMINUTE={minute}"
    taken += 1 + extra
    fields["recurrence"] = rule
    end = tokens[i + taken - 1].word_end
    out.spans.append(Span("recurrence", tokens[i].start, end, "", rule))
    return taken


def _recurrence_rule(words: list[str]) -> tuple[str | None, int]:
    """The RRULE (without the time of day) for the words after "every", and how many it took."""
    first = words[0]
    if first == "day":
        return "FREQ=DAILY", 1
    if first == "weekday":
        return "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", 1
    if first == "week":
        return "FREQ=WEEKLY", 1
    if first == "month":
        # "every month on the 1st": a day of the month, else the day the template was made
        m = _DAY_NUMBER.match(words[3]) if len(words) >= 4 and words[1:3] == ["on", "the"] else None
        if m is not None and 1 <= int(m.group("d")) <= 31:
            return f"FREQ=MONTHLY;BYMONTHDAY={int(m.group('d'))}", 4
        return "FREQ=MONTHLY", 1
    if first == "other" and len(words) > 1 and words[1] in ("day", "week", "month"):
        return f"FREQ={_FREQ[words[1]]};INTERVAL=2", 2
    n = _number(first)
    if n is not None and len(words) > 1 and words[1].rstrip("s") in _FREQ:
        if n < 1 or n > 1000:
            return None, 0
        return f"FREQ={_FREQ[words[1].rstrip('s')]};INTERVAL={n}", 2
    days: list[int] = []
    taken = 0
    while taken < len(words):
        word = words[taken]
        day = WEEKDAY_WORDS.get(word) if word not in ("and", ",") else None
        if day is None:
            if word == "and" and days and taken + 1 < len(words) and words[taken + 1] in WEEKDAY_WORDS:
                taken += 1
                continue
            break
        if day not in days:
            days.append(day)
        taken += 1
    if not days:
        return None, 0
    return "FREQ=WEEKLY;BYDAY=" + ",".join(WEEKDAYS[d] for d in sorted(days)), taken


_FREQ = {"day": "DAILY", "week": "WEEKLY", "month": "MONTHLY"}


# --- due dates ------------------------------------------------------------------------------


def _due(tokens: list[_Token], i: int, local_now: datetime, tz: tzinfo, fields: dict[str, object], out: _Result) -> int:
    start = i
    if tokens[i].word in DATE_PREPOSITIONS and i + 1 < len(tokens):
        i += 1
    when = _date_then_time(tokens, i, local_now) or _time_then_date(tokens, i, local_now)
    if when is None:
        # Phrases that are also parts of ordinary sentences count after a preposition ("by the 15th",
        # "by end of month") or at the end of the line: "read the 5th chapter" and "the end of month
        # report" keep their words.
        loose = _day_of_month(tokens, i, local_now) or _end_of(tokens, i, local_now)
        if loose is not None and (start != i or i + loose.taken == len(tokens)):
            when = _with_clock(tokens, i, loose)
    if when is None:
        return 0
    taken = (i - start) + when.taken
    due, all_day = _resolve(when, local_now, tz)
    fields["due_at"], fields["due_all_day"] = due, all_day
    end = tokens[start + taken - 1].word_end
    out.spans.append(Span("due", tokens[start].start, end, "", due.isoformat()))
    return taken


def _resolve(when: _When, local_now: datetime, tz: tzinfo) -> tuple[datetime, bool]:
    if when.exact is not None:
        return when.exact, False
    clock = when.clock or when.default_clock
    day = when.day
    if day is None:  # a time alone: today if it is still ahead, else tomorrow
        assert clock is not None
        day = local_now.date()
        if datetime.combine(day, clock) <= local_now.replace(tzinfo=None):
            day += timedelta(days=1)
    if clock is None:
        return wall_time_to_utc(datetime.combine(day, END_OF_DAY), tz), True
    return wall_time_to_utc(datetime.combine(day, clock), tz), False


def _date_then_time(tokens: list[_Token], i: int, local_now: datetime) -> _When | None:
    return _with_clock(tokens, i, _date_phrase(tokens, i, local_now))


def _with_clock(tokens: list[_Token], i: int, when: _When | None) -> _When | None:
    """`when` (a date phrase at tokens[i]) with the time of day that follows it, if one does."""
    if when is None or when.exact is not None:
        return when
    clock, extra = _clock_after(tokens, i + when.taken)
    if clock is None:
        return when
    return _When(taken=when.taken + extra, day=when.day, clock=clock)


def _time_then_date(tokens: list[_Token], i: int, local_now: datetime) -> _When | None:
    clock, taken = _clock_after(tokens, i)
    if clock is None:
        return None
    j = i + taken
    if j < len(tokens) and tokens[j].word in DATE_PREPOSITIONS:
        later = _date_phrase(tokens, j + 1, local_now)
        if later is not None and later.exact is None:
            return _When(taken=taken + 1 + later.taken, day=later.day, clock=clock)
    later = _date_phrase(tokens, j, local_now)
    if later is not None and later.exact is None:
        return _When(taken=taken + later.taken, day=later.day, clock=clock)
    return _When(taken=taken, clock=clock)


def _clock_after(tokens: list[_Token], i: int) -> tuple[time | None, int]:
    """A time of day at tokens[i] ("3pm", "3 pm", "at 15:00", "noon"), and how many tokens it took."""
    if i >= len(tokens):
        return None, 0
    lead = 1 if tokens[i].word == "at" else 0
    j = i + lead
    if j >= len(tokens):
        return None, 0
    word = tokens[j].word
    if word == "noon":
        return time(12, 0), lead + 1
    clock = _clock(word)
    if clock is not None:
        return clock, lead + 1
    if j + 1 < len(tokens) and word.isdigit() and tokens[j + 1].word in ("am", "pm", "a.m.", "p.m."):
        clock = _clock(word + tokens[j + 1].word)
        if clock is not None:
            return clock, lead + 2
    return None, 0


def _clock(word: str) -> time | None:
    if m := _CLOCK_12.match(word):
        hour, minute = int(m.group("h")), int(m.group("m") or 0)
        if not 1 <= hour <= 12 or minute > 59:
            return None
        hour = hour % 12 + (12 if m.group("ap").startswith("p") else 0)
        return time(hour, minute)
    if m := _CLOCK_24.match(word):
        hour, minute = int(m.group("h") or m.group("h1")), int(m.group("m") or m.group("m1"))
        if hour > 23 or minute > 59:
            return None
        return time(hour, minute)
    return None


def _date_phrase(tokens: list[_Token], i: int, local_now: datetime) -> _When | None:
    if i >= len(tokens):
        return None
    for matcher in _DATE_MATCHERS:
        when = matcher(tokens, i, local_now)
        if when is not None:
            return when
    return None


def _relative_day(tokens: list[_Token], i: int, local_now: datetime) -> _When | None:
    word, today = tokens[i].word, local_now.date()
    if word == "today":
        return _When(1, day=today)
    if word == "tonight":
        return _When(1, day=today, default_clock=TONIGHT)
    if word == "tomorrow":
        return _When(1, day=today + timedelta(days=1))
    return None


def _weekday(tokens: list[_Token], i: int, local_now: datetime) -> _When | None:
    """ "fri" / "next fri": the first such day after today; "this fri": today included."""
    word, lead = tokens[i].word, 0
    if word in ("next", "this") and i + 1 < len(tokens):
        lead, word = 1, tokens[i + 1].word
    weekday = WEEKDAY_WORDS.get(word)
    if weekday is None:
        if tokens[i].word == "next" and word in ("week", "month"):
            return _next_period(word, local_now.date())
        return None
    today = local_now.date()
    ahead = (weekday - today.weekday()) % 7
    if ahead == 0 and tokens[i].word != "this":
        ahead = 7
    return _When(1 + lead, day=today + timedelta(days=ahead))


def _next_period(word: str, today: date) -> _When:
    if word == "week":  # the Monday of next week
        return _When(2, day=today + timedelta(days=7 - today.weekday()))
    first = date(today.year + (today.month == 12), today.month % 12 + 1, 1)
    return _When(2, day=first)


def _in_amount(tokens: list[_Token], i: int, local_now: datetime) -> _When | None:
    """ "in 3 days", "in a week", "in 2 hours"."""
    if tokens[i].word != "in" or i + 2 >= len(tokens):
        return None
    n, unit = _number(tokens[i + 1].word), tokens[i + 2].word.rstrip("s")
    if n is None or n < 1 or n > 1000:
        return None
    today = local_now.date()
    if unit == "day":
        return _When(3, day=today + timedelta(days=n))
    if unit == "week":
        return _When(3, day=today + timedelta(weeks=n))
    if unit == "month":
        return _When(3, day=_add_months(today, n))
    if unit in ("hour", "hr"):
        return _When(3, exact=_elapsed(local_now, timedelta(hours=n)))
    if unit in ("minute", "min"):
        return _When(3, exact=_elapsed(local_now, timedelta(minutes=n)))
    return None


def _iso_date(tokens: list[_Token], i: int, local_now: datetime) -> _When | None:
    m = _ISO_DATE.match(tokens[i].word)
    if m is None:
        return None
    try:
        return _When(1, day=date(int(m.group("y")), int(m.group("mo")), int(m.group("d"))))
    except ValueError:
        return None


def _month_day(tokens: list[_Token], i: int, local_now: datetime) -> _When | None:
    """ "dec 24", "december 24th", "24 dec", "24th of december", each with an optional year."""
    words = [t.word for t in tokens[i : i + 4]]
    month = day = None
    taken = 0
    if len(words) >= 2 and words[0] in MONTH_WORDS and (m := _DAY_NUMBER.match(words[1])):
        month, day, taken = MONTH_WORDS[words[0]], int(m.group("d")), 2
    elif len(words) >= 2 and (m := _DAY_NUMBER.match(words[0])):
        rest = words[2:] if words[1] == "of" else words[1:]
        if rest and rest[0] in MONTH_WORDS:
            month, day, taken = MONTH_WORDS[rest[0]], int(m.group("d")), (3 if words[1] == "of" else 2)
    if month is None or day is None:
        return None
    year: int | None = None
    if i + taken < len(tokens) and _YEAR.match(tokens[i + taken].word):
        year, taken = int(tokens[i + taken].word), taken + 1
    today = local_now.date()
    try:
        found = date(year or today.year, month, day)
        if year is None and found < today:
            found = date(today.year + 1, month, day)
    except ValueError:
        return None
    return _When(taken, day=found)


def _day_of_month(tokens: list[_Token], i: int, local_now: datetime) -> _When | None:
    """ "the 15th": the next 15th, today included (a month without a 31st is skipped)."""
    if i + 1 >= len(tokens) or tokens[i].word != "the":
        return None
    m = _ORDINAL_DAY.match(tokens[i + 1].word)
    if m is None or not 1 <= int(m.group("d")) <= 31:
        return None
    today = local_now.date()
    for ahead in range(13):
        month = _add_months(today.replace(day=1), ahead)
        try:
            found = month.replace(day=int(m.group("d")))
        except ValueError:
            continue
        if found >= today:
            return _When(2, day=found)
    return None


def _end_of(tokens: list[_Token], i: int, local_now: datetime) -> _When | None:
    """ "end of month", "the end of the month", "end of year": its last day."""
    words = [t.word for t in tokens[i : i + 5]]
    taken = 1 if words[:1] == ["the"] else 0
    if words[taken : taken + 2] != ["end", "of"]:
        return None
    taken += 3 if words[taken + 2 : taken + 3] == ["the"] else 2
    period = words[taken] if len(words) > taken else None
    today = local_now.date()
    if period == "month":
        return _When(taken + 1, day=_add_months(today.replace(day=1), 1) - timedelta(days=1))
    if period == "year":
        return _When(taken + 1, day=date(today.year, 12, 31))
    return None


_DATE_MATCHERS: tuple[Callable[[list[_Token], int, datetime], _When | None], ...] = (
    _relative_day,
    _weekday,
    _in_amount,
    _iso_date,
    _month_day,
)


# --- small helpers --------------------------------------------------------------------------


def _number(word: str) -> int | None:
    if word.isdigit():
        return int(word)
    return NUMBER_WORDS.get(word)


def _elapsed(local_now: datetime, delta: timedelta) -> datetime:
    """Elapsed time, not wall-clock time: "in 2 hours" across a DST change is still 120 minutes."""
    return (local_now.astimezone(UTC) + delta).replace(second=0, microsecond=0)


def _add_months(day: date, months: int) -> date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")

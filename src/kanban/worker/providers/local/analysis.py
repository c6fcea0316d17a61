"""Local rules that read a task's words for its context, priority, duration, size and a cleaner title."""

from __future__ import annotations

import re
from datetime import timedelta

from kanban.worker.providers.local.actions import extract_actions
from kanban.worker.providers.local.contexts import EXPLICIT, infer_context
from kanban.worker.providers.local.features import TaskReading, read_task
from kanban.worker.providers.local.text import URL_PATTERN, list_item, stem, stem_set, words
from kanban.worker.providers.tasks import Analysis, AnalysisRequest, Context, Priority

_WATCH_HOSTS = ("youtube.com", "youtu.be", "vimeo.com", "twitch.tv", "netflix.com")

_HIGH = re.compile(
    r"\b(urgent(ly)?|asap|immediately|critical|blocker|blocking|today|tonight|right away|by tomorrow|"
    r"first thing|top priority|high priority|p0|p1|emergency)\b|!!",
    re.IGNORECASE,
)
_LOW = re.compile(
    r"\b(someday|some day|eventually|nice to have|when i have time|no rush|no hurry|not urgent|low priority|"
    r"if time permits|whenever|one day|p3|sometime|some time|at some point|rainy day|no deadline)\b",
    re.IGNORECASE,
)

_EXPLICIT_DURATION = re.compile(
    r"\b(?:(?P<n>\d+(?:[.,]\d+)?)\s*(?P<unit>h|hrs?|hours?|m|mins?|minutes?)"
    r"|(?P<word>half an|an|a)\s+(?P<word_unit>hour|minute))\b",
    re.IGNORECASE,
)
# Typical minutes of each kind of action; a task whose action is unknown gets a half-hour guess.
_TYPICAL_MINUTES: dict[str, int] = {
    "phone": 15, "email": 10, "send": 10, "ask": 10, "read": 30, "watch": 45, "listen": 30, "meet": 60,
    "arrange": 15, "write": 60, "desk": 30, "pay": 10, "cancel": 15, "renew": 20, "acquire": 30,
    "return": 30, "fix": 60, "clean": 60, "garden": 60, "make": 60, "think": 30, "check": 10,
    "visit": 60, "choose": 30,
}  # fmt: skip
_UNKNOWN_MINUTES = 30
_BIG_WORDS = stem_set("project organise organize renovate migrate launch redesign overhaul relocate wedding")

_TITLE_NOISE = re.compile(
    r"^\s*(?:(?:todo|to do|to-do|task|re|fwd|fw|urgent|asap|important|reminder)\s*[:\-–]\s*|(?:urgent|asap)!*\s+"
    r"|[-*•]\s+|\[[ xX]?\]\s*)+",
    re.IGNORECASE,
)
_TRAILING_NOISE = re.compile(r"(?:\s*[-–(]?\s*\b(?:asap|urgent)\b\)?)?[\s.!?:;,]*$", re.IGNORECASE)


def analyse(request: AnalysisRequest) -> Analysis:
    text = f"{request.title}\n{request.description}"
    reading = read_task(request.title, request.description)
    context, context_confidence = _context(reading, text)
    priority, priority_confidence = _priority(request, text)
    minutes, minutes_confidence = _duration(text, reading)
    breakdown = _needs_breakdown(request, minutes)
    title = _clean_title(request.title)
    return Analysis(
        context=context,
        context_confidence=context_confidence,
        priority=priority,
        priority_confidence=priority_confidence,
        duration_minutes=minutes,
        duration_confidence=minutes_confidence,
        needs_breakdown=breakdown,
        needs_breakdown_confidence=0.7 if breakdown else 0.5,
        title=title,
        title_confidence=0.8,
    )


def _context(reading: TaskReading, text: str) -> tuple[Context | None, float]:
    if reading.kind is None and any(host in url.lower() for url in URL_PATTERN.findall(text) for host in _WATCH_HOSTS):
        return "WATCH", EXPLICIT
    return infer_context(reading)


def _priority(request: AnalysisRequest, text: str) -> tuple[Priority | None, float]:
    if request.due_at is not None:
        left = request.due_at - request.now
        if left <= timedelta(days=2):
            return "HIGH", 0.85
        if left <= timedelta(days=7):
            return "MEDIUM", 0.7
    # Low first: "not urgent" and "no rush" would otherwise read as urgent.
    if request.column_type == "SOMEDAY" or _LOW.search(text):
        return "LOW", 0.7
    if _HIGH.search(text):
        return "HIGH", 0.75
    return None, 0.0


def _duration(text: str, reading: TaskReading) -> tuple[int | None, float]:
    """An explicit duration when the task gives one, else the typical time of its kind of action."""
    match = _EXPLICIT_DURATION.search(text)
    if match:
        if match.group("n"):
            number, unit = float(match.group("n").replace(",", ".")), match.group("unit")
        else:
            number, unit = (0.5 if match.group("word").lower() == "half an" else 1.0), match.group("word_unit")
        minutes = number * 60 if unit.lower().startswith("h") else number
        if 1 <= minutes <= 7 * 24 * 60:
            return round(minutes), 0.9
    kind = reading.kind or next(iter(reading.title_kinds), None)
    if kind is None:
        return _UNKNOWN_MINUTES, 0.3
    return _TYPICAL_MINUTES.get(kind, _UNKNOWN_MINUTES), 0.45


def _needs_breakdown(request: AnalysisRequest, minutes: int | None) -> bool | None:
    """True when the task looks like a project; None (not False) otherwise, since small is not certain."""
    listed = any(list_item(line) for line in request.description.splitlines())
    # Three listed steps make a project; in prose a few steps are often one action told in detail.
    if len(extract_actions(request.title, request.description)) >= (3 if listed else 4):
        return True
    if minutes is not None and minutes > 120:
        return True
    if _BIG_WORDS.intersection(stem(w) for w in words(request.title)):
        return True
    return None


def _clean_title(title: str) -> str | None:
    cleaned = _TITLE_NOISE.sub("", title)
    cleaned = _TRAILING_NOISE.sub("", cleaned)
    cleaned = re.sub(r"\s+", " ", cleaned).strip()
    if not cleaned:
        return None
    letters = [c for c in cleaned if c.isalpha()]
    shouted = len(letters) >= 6 and all(c.isupper() for c in letters)
    if shouted:
        cleaned = cleaned.lower()
    cleaned = cleaned[0].upper() + cleaned[1:]
    # Case and spacing alone are not worth a hint; a removed prefix or a fixed shout is.
    if cleaned == title or (not shouted and _folded(cleaned) == _folded(title)):
        return None
    return cleaned


def _folded(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()

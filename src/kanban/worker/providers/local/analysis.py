"""Local rules that read a task's words for its context, priority, duration, size and a cleaner title."""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta

from kanban.worker.providers.local.actions import extract_actions
from kanban.worker.providers.local.text import URL_PATTERN, list_item, stem, stem_set, stems, words
from kanban.worker.providers.tasks import Analysis, AnalysisRequest, Context, Priority

# Stems that point at a context; a verb at the start of the title counts the most.
_CONTEXT_WORDS: dict[Context, frozenset[str]] = {
    "PHONE": stem_set("call phone ring dial voicemail callback sms"),
    "EMAIL": stem_set("email reply inbox send forward newsletter respond unsubscribe"),
    "MEETING": stem_set("meeting meet sync standup agenda discuss interview workshop retro 1:1 one-on-one"),
    "READ": stem_set("read article book paper blog chapter essay study whitepaper"),
    "WATCH": stem_set("watch video youtube movie film webinar lecture episode documentary"),
    "DESK": stem_set(
        "write draft fix code update fill pay invoice tax prepare plan spreadsheet report implement refactor "
        "deploy design build review edit print scan file submit budget"
    ),
}
_WATCH_HOSTS = ("youtube.com", "youtu.be", "vimeo.com", "twitch.tv", "netflix.com")

_HIGH = re.compile(
    r"\b(urgent(ly)?|asap|immediately|critical|blocker|blocking|today|tonight|right away|overdue|deadline|"
    r"important|top priority|high priority|p0|p1)\b|!!",
    re.IGNORECASE,
)
_LOW = re.compile(
    r"\b(someday|some day|eventually|nice to have|when i have time|no rush|not urgent|low priority|"
    r"if time permits|whenever|one day|p3)\b",
    re.IGNORECASE,
)

_EXPLICIT_DURATION = re.compile(
    r"\b(?:(?P<n>\d+(?:[.,]\d+)?)\s*(?P<unit>h|hrs?|hours?|m|mins?|minutes?)"
    r"|(?P<word>half an|an|a)\s+(?P<word_unit>hour|minute))\b",
    re.IGNORECASE,
)
_TYPICAL_MINUTES: dict[Context, int] = {
    "PHONE": 15,
    "EMAIL": 10,
    "MEETING": 60,
    "READ": 30,
    "WATCH": 45,
    "DESK": 30,
    "OTHER": 30,
}
_BIG_WORDS = stem_set("project organise organize renovate migrate launch redesign overhaul relocate wedding")

_TITLE_NOISE = re.compile(
    r"^\s*(?:(?:todo|to do|to-do|task|re|fwd|fw|urgent|asap|important|reminder)\s*[:\-–]\s*|(?:urgent|asap)!*\s+"
    r"|[-*•]\s+|\[[ xX]?\]\s*)+",
    re.IGNORECASE,
)
_TRAILING_NOISE = re.compile(r"(?:\s*[-–(]?\s*\b(?:asap|urgent)\b\)?)?[\s.!?:;,]*$", re.IGNORECASE)


def analyse(request: AnalysisRequest) -> Analysis:
    text = f"{request.title}\n{request.description}"
    context, context_confidence = _context(request.title, text)
    priority, priority_confidence = _priority(request, text)
    minutes, minutes_confidence = _duration(text, context)
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


def _context(title: str, text: str) -> tuple[Context | None, float]:
    scores: Counter[Context] = Counter()
    title_stems = stems(title)
    for position, word in enumerate(title_stems):
        for context, vocabulary in _CONTEXT_WORDS.items():
            if word in vocabulary:
                scores[context] += 4 if position == 0 else 2
    for word in stems(text):
        for context, vocabulary in _CONTEXT_WORDS.items():
            if word in vocabulary:
                scores[context] += 1
    if any(host in url.lower() for url in URL_PATTERN.findall(text) for host in _WATCH_HOSTS):
        scores["WATCH"] += 4
    if not scores:
        return None, 0.0
    ranked = scores.most_common()
    best, score = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0
    if score < 2 or score == runner_up:
        return None, 0.0
    margin = (score - runner_up) / score
    return best, round(min(0.95, 0.5 + 0.45 * margin), 2)


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


def _duration(text: str, context: Context | None) -> tuple[int | None, float]:
    match = _EXPLICIT_DURATION.search(text)
    if match:
        if match.group("n"):
            number, unit = float(match.group("n").replace(",", ".")), match.group("unit")
        else:
            number, unit = (0.5 if match.group("word").lower() == "half an" else 1.0), match.group("word_unit")
        minutes = number * 60 if unit.lower().startswith("h") else number
        if 1 <= minutes <= 7 * 24 * 60:
            return round(minutes), 0.9
    if context is None:
        return None, 0.0
    return _TYPICAL_MINUTES[context], 0.45


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

"""Local duplicate finding: overlap of stemmed words, titles weighted above descriptions."""

from __future__ import annotations

from kanban.worker.providers.local.text import stems
from kanban.worker.providers.tasks import DuplicateMatch, Duplicates, DuplicatesRequest

THRESHOLD = 0.6
TITLE_WEIGHT = 0.75


def find_duplicates(request: DuplicatesRequest) -> Duplicates:
    matches = []
    for candidate in request.candidates:
        score = similarity(request.title, request.description, candidate.title, candidate.description)
        if score >= THRESHOLD:
            matches.append(DuplicateMatch(task_id=candidate.task_id, score=round(score, 3)))
    matches.sort(key=lambda m: m.score, reverse=True)
    return Duplicates(matches=matches)


def similarity(title_a: str, description_a: str, title_b: str, description_b: str) -> float:
    """0..1: how much two tasks say the same thing."""
    titles = _resemblance(set(stems(title_a)), set(stems(title_b)))
    if not description_a.strip() or not description_b.strip():
        return titles
    whole = _resemblance(set(stems(f"{title_a} {description_a}")), set(stems(f"{title_b} {description_b}")))
    return TITLE_WEIGHT * titles + (1 - TITLE_WEIGHT) * whole


def _resemblance(a: set[str], b: set[str]) -> float:
    """Mean of Jaccard and overlap: short titles that one longer title contains still score high."""
    if not a or not b:
        return 0.0
    shared = len(a & b)
    return (shared / len(a | b) + shared / min(len(a), len(b))) / 2

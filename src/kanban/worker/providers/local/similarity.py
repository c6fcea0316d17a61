"""Local duplicate finding: the same intent done to the same thing, for the same people and places.

Two tasks are duplicates when their actions do not contradict (buying is not returning), neither
names a person or place the other does not know of, and what one title asks for is covered by
the other task: each title's content words found in the other's words (synonyms folded, "all
hands" and "all-hands" one word). When both titles keep something the other lacks ("electricity
bill" and "nursery bill") they are two tasks that look alike, not one task written twice.
"""

from __future__ import annotations

from functools import lru_cache

from rapidfuzz.distance import Levenshtein

from kanban.worker.providers.local import lexicon as lx
from kanban.worker.providers.local.features import CACHE_SIZE, TaskReading, read_task
from kanban.worker.providers.tasks import DuplicateMatch, Duplicates, DuplicatesRequest

THRESHOLD = 0.6
# Only words this long can be near spellings of each other (shorter ones differ by meaning: "cat", "car").
NEAR_MIN_LENGTH = 6


def find_duplicates(request: DuplicatesRequest) -> Duplicates:
    reading = read_task(request.title, request.description)
    matches = []
    for candidate in request.candidates:
        score = duplicate_score(reading, read_task(candidate.title, candidate.description))
        if score >= THRESHOLD:
            matches.append(DuplicateMatch(task_id=candidate.task_id, score=round(score, 3)))
    matches.sort(key=lambda m: m.score, reverse=True)
    return Duplicates(matches=matches)


def similarity(title_a: str, description_a: str, title_b: str, description_b: str) -> float:
    """0..1: how much two tasks say the same thing (a loose measure, for picking candidates)."""
    a, b = read_task(title_a, description_a), read_task(title_b, description_b)
    if not a.title_concepts or not b.title_concepts or _nothing_in_common(a.title_concepts, b):
        return 0.0
    shared = len(_matched(a.title_concepts, b.text_concepts, _joined(b)))
    return shared / min(len(a.title_concepts), len(b.title_concepts))


def duplicate_score(a: TaskReading, b: TaskReading) -> float:
    """0..1, at or above THRESHOLD only for one task written twice."""
    if _opposed(a.kind, b.kind) or _talk_versus_do(a, b) or _different_people(a, b) or _other_step(a, b):
        return 0.0
    core_a = a.title_concepts - _verbs(a)
    core_b = b.title_concepts - _verbs(b)
    if not core_a or not core_b:
        return 0.0
    left_a = core_a - _matched(core_a, b.text_concepts, _joined(b))
    left_b = core_b - _matched(core_b, a.text_concepts, _joined(a))
    shared = len(core_a) - len(left_a)
    if shared == 0 or (left_a and left_b):
        return 0.0
    # The titles must share something: a word found only in the other's description is a detail.
    if not _matched(core_a, b.title_concepts, _joined(b, title_only=True)):
        return 0.0
    covered = 1 - min(len(left_a) / len(core_a), len(left_b) / len(core_b))
    # One shared word is thin evidence unless it is all one of the titles says.
    if shared == 1 and min(len(core_a), len(core_b)) > 1:
        return 0.0
    strength = min(1.0, 0.55 + 0.15 * shared)
    return round(min(1.0, covered * strength + (0.1 if _same_intent(a.kind, b.kind) else 0.0)), 3)


def _verbs(reading: TaskReading) -> frozenset[str]:
    """The words that say what is done (the lead verb, generic verbs): intent, compared apart from objects."""
    verbs = {w.lemma for w in reading.title_words if w.lemma in lx.GENERIC_VERBS}
    if reading.verb:
        verbs |= set(reading.verb.split())
    return frozenset(verbs)


def _matched(words: frozenset[str], other: frozenset[str], joined: frozenset[str] = frozenset()) -> frozenset[str]:
    """The words found in `other` (exactly or as a near spelling) or among its run-together pairs."""
    out = set()
    for word in words:
        if word in other or word in joined or _near_any(word, other):
            out.add(word)
    return frozenset(out)


def _near_any(word: str, other: frozenset[str]) -> bool:
    if len(word) < NEAR_MIN_LENGTH:
        return False
    return any(_near(word, o) for o in _near_candidates(other).get(word[0], ()))


def _nothing_in_common(words: frozenset[str], other: TaskReading) -> bool:
    """True when `_matched(words, other.text_concepts, other.joined)` is sure to be empty, told by set
    operations alone: most pairs of a board's tasks share no word, and this answers them quickly."""
    return (
        words.isdisjoint(other.text_concepts)
        and words.isdisjoint(other.joined)
        and _long_initials(words).isdisjoint(_near_candidates(other.text_concepts))
    )


@lru_cache(maxsize=CACHE_SIZE)
def _long_initials(words: frozenset[str]) -> frozenset[str]:
    return frozenset(word[0] for word in words if len(word) >= NEAR_MIN_LENGTH)


@lru_cache(maxsize=CACHE_SIZE)
def _near_candidates(words: frozenset[str]) -> dict[str, tuple[str, ...]]:
    """The words that `_near` could match, by first letter: a duplicate check compares one task with
    every open task of its board, so each task's words are grouped once, not scanned per pair."""
    grouped: dict[str, list[str]] = {}
    for word in words:
        if len(word) >= NEAR_MIN_LENGTH:
            grouped.setdefault(word[0], []).append(word)
    return {initial: tuple(group) for initial, group in grouped.items()}


def _near(a: str, b: str) -> bool:
    """A typo or a spelling variant of one longer word ("acountant", "organise"/"organize")."""
    if len(a) < NEAR_MIN_LENGTH or len(b) < NEAR_MIN_LENGTH or a[0] != b[0]:
        return False
    if a.startswith(b) or b.startswith(a):  # "recommend" and "recommendation"
        return True
    return Levenshtein.distance(a, b, score_cutoff=1) <= 1


def _joined(reading: TaskReading, *, title_only: bool = False) -> frozenset[str]:
    """Adjacent words run together (see TaskReading.joined)."""
    return reading.title_joined if title_only else reading.joined


def _different_people(a: TaskReading, b: TaskReading) -> bool:
    """Each names someone (or somewhere) the other never mentions: Lena's 1:1 is not Oskar's."""
    only_a = (a.title_names | a.title_people) - b.text_concepts - b.names - b.people
    only_b = (b.title_names | b.title_people) - a.text_concepts - a.names - a.people
    if only_a and only_b:
        return True
    # Someone named on one side only, when the two share no more than one thing.
    return bool(only_a or only_b) and len(a.title_concepts & b.title_concepts) < 2


def _same_intent(a: str | None, b: str | None) -> bool:
    if a is None or b is None:
        return False
    return a == b or any({a, b} <= group for group in lx.SAME_INTENT)


def _other_step(a: TaskReading, b: TaskReading) -> bool:
    """Two different things done to one object are two steps: buying a present is not wrapping it,
    washing the car is not moving it."""
    if a.kind is None or b.kind is None or a.verb in lx.GENERIC_VERBS or b.verb in lx.GENERIC_VERBS:
        return False
    if a.kind in b.title_kinds or b.kind in a.title_kinds:
        return False  # "sign the form and send it" asks for the sending too
    return not _same_intent(a.kind, b.kind) and a.verb != b.verb


def _talk_versus_do(a: TaskReading, b: TaskReading) -> bool:
    """Writing to someone about a thing is not doing the thing ("email the landlord about the permit")."""
    if a.kind is None or b.kind is None or a.verb in lx.GENERIC_VERBS or b.verb in lx.GENERIC_VERBS:
        return False
    return (a.kind in _TALK) != (b.kind in _TALK)


_TALK = frozenset({"phone", "email", "send", "ask", "meet"})


def _opposed(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and any({a, b} == group for group in lx.OPPOSED_INTENTS)

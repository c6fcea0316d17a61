"""A task's words read once: lemmas, the action it asks for, what it acts on, and who or where.

`read_task` is cached by the task's text, so each version of a task is read once per process
however many agents (and however many other tasks' duplicate checks) look at it.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import cached_property, lru_cache

import simplemma

from kanban.worker.providers.local import lexicon as lx
from kanban.worker.providers.local.text import STOPWORDS, URL_PATTERN

CACHE_SIZE = 4096

_TOKEN = re.compile(r"\d+:\d+|[£$€]?\d+(?:[.,]\d+)+|[^\W_]+(?:[-'’][^\W_]+)*@?|w/|[£$€]")
_CLAUSE_BREAK = re.compile(r"\s+[-–—]\s+|[,;:()]|\s+\bre\b\s+|\s+w/\s+", re.IGNORECASE)
_NOISE_LEADS = frozenset(
    [
        "urgent",
        "asap",
        "todo",
        "to-do",
        "reminder",
        "important",
        "someday",
        "maybe",
        "quick",
        "finally",
        "must",
        "need",
        "needs",
        "to",
        "really",
        "please",
        "i",
        "we",
        "should",
        "have",
        "got",
        "gotta",
        "remember",
        "don't",
        "forget",
    ]
)
_WEEKDAYS_MONTHS = frozenset(
    [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "christmas",
        "easter",
        "hogmanay",
    ]
)


_PEOPLE = lx.RELATIONS | lx.PEOPLE_ROLES


@dataclass(frozen=True)
class Word:
    text: str  # as written
    lemma: str  # lowercased lemma, synonyms folded to one canonical form


@dataclass(frozen=True)
class TaskReading:
    """What the local rules know about one task text."""

    title_words: tuple[Word, ...]
    description_words: tuple[Word, ...]
    # The action the title asks for: its kind (lexicon.ACTION_KINDS) and verb, or None.
    kind: str | None
    verb: str | None
    # Every action kind named anywhere in the title and in the description, in order.
    title_kinds: tuple[str, ...]
    description_kinds: tuple[str, ...]
    # Kinds of the things the title names (lexicon.OBJECT_KINDS), with counts.
    title_objects: Counter[str]
    description_objects: Counter[str]
    # Content words (canonical lemmas), without stop words and vague words.
    title_concepts: frozenset[str]
    text_concepts: frozenset[str]
    # People and places named with a capital (all, and the title's), relations (mum, kids).
    names: frozenset[str]
    title_names: frozenset[str]
    people: frozenset[str]
    title_people: frozenset[str]
    has_url: bool

    # Adjacent words run together, so "all hands" matches "allhands" and "kick off" "kickoff". Read
    # once per reading (a duplicate check compares one task with every open one on the board).
    @cached_property
    def joined(self) -> frozenset[str]:
        return _run_together((*self.title_words, *self.description_words))

    @cached_property
    def title_joined(self) -> frozenset[str]:
        return _run_together(self.title_words)


def _run_together(words: tuple[Word, ...]) -> frozenset[str]:
    pairs = list(zip(words, words[1:], strict=False))
    return frozenset(f"{x.lemma}{y.lemma}" for x, y in pairs) | frozenset(
        lx.SYNONYMS.get(joined, joined) for joined in (f"{x.text}{y.text}".lower() for x, y in pairs)
    )


def lemma(word: str) -> str:
    """The canonical lemma of one word: lowercased, lemmatised, synonyms folded."""
    low = word.lower().replace("’", "'")
    if low.endswith("'s"):
        low = low[:-2]
    low = low.rstrip("'")
    if low in lx.SYNONYMS:
        return lx.SYNONYMS[low]
    base = _lemmatise(low)
    return lx.SYNONYMS.get(base, base)


@lru_cache(maxsize=CACHE_SIZE * 4)
def _lemmatise(low: str) -> str:
    # A known verb's base form stays itself: the dictionary reads "weed" as "wee".
    if not low.isalpha() or len(low) <= 3 or low in lx.OBJECT_KINDS or low in lx.ACTION_KINDS:
        return low
    # The memory-frugal dictionary: the same lemmas, looked up in the compressed stream instead of a
    # dict of every English form (~2 MiB resident instead of ~40); lookups are cached above.
    base = str(simplemma.lemmatize(low, lang="en", low_memory=True)).lower()
    # Verb forms the dictionary reads as nouns ("booking", "emailed"): prefer a known action verb.
    for suffix in ("ing", "ed", "s"):
        if low.endswith(suffix):
            stem = low[: -len(suffix)]
            for candidate in (stem, stem + "e", stem[:-1] if len(stem) > 2 and stem[-1] == stem[-2] else stem):
                if candidate in lx.ACTION_KINDS and candidate != low:
                    return candidate
    return base


def words_of(text: str) -> tuple[Word, ...]:
    return tuple(Word(m.group(0), lemma(m.group(0))) for m in _TOKEN.finditer(URL_PATTERN.sub(" ", text)))


@lru_cache(maxsize=CACHE_SIZE)
def read_task(title: str, description: str) -> TaskReading:
    title_words = words_of(title)
    description_words = words_of(description)
    kind, verb = lead_action(title)
    title_kinds = tuple(k for k in (_kinds_in(title)) if k)
    description_kinds = tuple(k for k in (_kinds_in(description)) if k)
    title_concepts = _concepts(title_words)
    text_concepts = title_concepts | _concepts(description_words)
    return TaskReading(
        title_words=title_words,
        description_words=description_words,
        kind=kind,
        verb=verb,
        title_kinds=title_kinds,
        description_kinds=description_kinds,
        title_objects=_objects(title_words),
        description_objects=_objects(description_words),
        title_concepts=title_concepts,
        text_concepts=text_concepts,
        names=_names(title) | _names(description),
        title_names=_names(title),
        people=frozenset(w.lemma for w in (*title_words, *description_words) if w.lemma in _PEOPLE),
        title_people=frozenset(w.lemma for w in title_words if w.lemma in _PEOPLE),
        has_url=URL_PATTERN.search(f"{title} {description}") is not None,
    )


def lead_action(text: str) -> tuple[str | None, str | None]:
    """The first action a text's clauses start with: (kind, verb)."""
    for clause in _clauses(text):
        found = _clause_action(clause)
        if found is not None:
            return found
    return None, None


def _clauses(text: str) -> list[list[Word]]:
    out = []
    for line in text.splitlines():
        for piece in _CLAUSE_BREAK.split(line):
            for sentence in re.split(r"(?<=[.!?])\s+", piece):
                found = list(words_of(sentence))
                if found:
                    out.append(found)
    return out


def _clause_action(clause: list[Word]) -> tuple[str, str] | None:
    """The action a clause starts with, after lead-ins such as "urgent", "I need to" or "finish"."""
    index = 0
    while index < len(clause) and clause[index].text.lower() in _NOISE_LEADS:
        index += 1
    if index >= len(clause):
        return None
    rest = [w.text.lower() for w in clause[index:]]
    lemmas = [w.lemma for w in clause[index:]]
    # Noun phrases that name an action: "video call with", "phone call".
    if len(rest) >= 2 and rest[0] in {"video", "zoom", "teams", "facetime"} and lemmas[1] in {"call", "chat"}:
        return "meet", "video call"
    if lemmas[0] in lx.GENERIC_VERBS and any(w in lx.CALL_NOUNS for w in rest[1:5]) and "a" in rest[1:4]:
        return "phone", "call"
    if len(rest) > 1 and lemmas[1] in lx.COMPOUND_HEADS and lemmas[0] not in lx.GENERIC_VERBS:
        return None
    for phrase in lx.PHRASAL:
        parts = phrase.split()
        if lemmas[: len(parts)] == parts or rest[: len(parts)] == parts:
            return lx.ACTION_KINDS[phrase], phrase
    verb = lemmas[0]
    # A verb with its particle further on: "take the books back", "sign Maya up".
    for particle in ("back", "up", "out"):
        split = f"{verb} {particle}"
        if split in lx.ACTION_KINDS and particle in rest[1:6]:
            return lx.ACTION_KINDS[split], split
    if verb == "finish" and len(lemmas) > 1 and lemmas[1] in lx.ACTION_KINDS:
        return lx.ACTION_KINDS[lemmas[1]], lemmas[1]
    if verb in lx.ACTION_KINDS:
        return lx.ACTION_KINDS[verb], verb
    return None


def _kinds_in(text: str) -> list[str]:
    kinds = []
    for clause in _clauses(text):
        found = _clause_action(clause)
        if found is not None:
            kinds.append(found[0])
    return kinds


def _concepts(words: tuple[Word, ...]) -> frozenset[str]:
    out = set()
    for w in words:
        low = w.text.lower()
        if (
            low in STOPWORDS
            or w.lemma in lx.VAGUE
            or w.lemma in STOPWORDS
            or len(w.lemma) < 2
            and not w.lemma.isdigit()
        ):
            continue
        out.add(_ordinal(w.lemma))
    return frozenset(out)


def _ordinal(word: str) -> str:
    """90th and 90 are one number."""
    match = re.fullmatch(r"(\d+)(?:st|nd|rd|th)", word)
    return match.group(1) if match else word


def _objects(words: tuple[Word, ...]) -> Counter[str]:
    counts: Counter[str] = Counter()
    lemmas = [w.lemma for w in words]
    for i, lem in enumerate(lemmas):
        pair = f"{lem} {lemmas[i + 1]}" if i + 1 < len(lemmas) else ""
        if pair and pair in lx.OBJECT_KINDS:
            counts[lx.OBJECT_KINDS[pair]] += 1
        elif lem in lx.OBJECT_KINDS:
            counts[lx.OBJECT_KINDS[lem]] += 1
    return counts


def _names(text: str) -> frozenset[str]:
    """Capitalised words inside a sentence that the lexicon does not know: people and places."""
    out = set()
    for sentence in re.split(r"(?<=[.!?:])\s+|\n|\s[-–—]\s", text):
        found = list(words_of(sentence))
        for i, w in enumerate(found):
            if i == 0 or not w.text[:1].isupper() or w.text.isupper() and len(w.text) > 3:
                continue
            low = w.lemma
            if low in _WEEKDAYS_MONTHS or low in STOPWORDS or _known(low):
                continue
            out.add(low)
    return frozenset(out)


def _known(word: str) -> bool:
    return (
        word in lx.ACTION_KINDS
        or word in lx.OBJECT_KINDS
        or word in lx.RELATIONS
        or word in lx.PEOPLE_ROLES
        or any(word in members for _, members in lx.TOPICS.values())
    )

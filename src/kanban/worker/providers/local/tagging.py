"""Local rules that match a task to the board's tags by meaning, and name a new tag only when none fits.

Each board tag is read as a topic (lexicon.TOPICS) through its name, so a board's "money" and
another's "finance" both collect bills, banks and taxes. A tag the lexicon does not know matches
when the task uses the tag's own word. Evidence is weighed: a title word counts twice what a
description word does, a weak word (one often meant another way) half, and two words that name
one thing ("post office", "tax return") are read as that thing only. A topic needs a strong title
word, two weak ones, or three description words before it is proposed: precision over recall.
"""

from __future__ import annotations

from collections import Counter

from kanban.worker.providers.local import lexicon as lx
from kanban.worker.providers.local.features import TaskReading, Word, lemma, read_task
from kanban.worker.providers.tasks import Tags, TagsRequest

MAX_TAGS = 3
MAX_NEW = 2
MIN_SCORE = 2
# Kinds of action that belong to a topic whatever the words: shopping is an errand.
_VERB_TOPICS = {
    "buy": "errands", "purchase": "errands", "return": "errands", "take back": "errands", "pick up": "errands",
    "collect": "errands", "shop": "errands", "drop off": "errands", "pay": "finance", "pay back": "finance", "mow": "garden", "plant": "garden",
    "prune": "garden", "weed": "garden", "rake": "garden", "repot": "garden", "hoover": "home", "vacuum": "home",
    "dust": "home", "mop": "home", "iron": "home", "decorate": "home", "repaint": "home",
}  # fmt: skip
# Topics that say where a chore happens: vacuuming the car is about the car, not the home.
_PLACES = frozenset({"home", "car", "garden"})
# A new tag is for a board that has almost none yet; a board with a vocabulary keeps to it.
NEW_TAGS_BELOW = 3
# How sure a proposal is, by the weakest proposed tag's score. Measured on the labelled fixtures
# (tests/unit/worker/test_tag_calibration.py): at the floor (one strong title word) a tag is right
# 90-97 % of the time, with twice that evidence 98 %. Both stay below the boards' auto-apply
# threshold (0.9): a tag is a suggestion the owner accepts, and the fixtures are few.
CONFIDENCE = ((2 * MIN_SCORE, 0.85), (MIN_SCORE, 0.8))


def suggest_tags(request: TagsRequest) -> Tags:
    reading = read_task(request.title, request.description)
    scores = topic_scores(reading)
    matched: list[tuple[int, str]] = []
    for tag in request.vocabulary:
        score = _tag_score(tag, reading, scores)
        if score >= MIN_SCORE:
            matched.append((score, tag))
    if matched:
        ranked = sorted(matched, key=lambda p: -p[0])[:MAX_TAGS]
        return Tags(tags=[tag for _, tag in ranked], new=[], confidence=confidence(ranked[-1][0]))
    if len(request.vocabulary) >= NEW_TAGS_BELOW:
        return Tags(tags=[], new=[], confidence=0.0)
    vocabulary = {lemma(tag) for tag in request.vocabulary}
    fresh = [
        (score, name)
        for name, score in scores.items()
        if score >= MIN_SCORE + 1 and name not in vocabulary and not (TOPICS_ALIASES[name] & vocabulary)
    ]
    new = [name for _, name in sorted(fresh, key=lambda p: -p[0])][:MAX_NEW]
    return Tags(tags=[], new=new, confidence=0.55 if new else 0.0)


def confidence(score: int) -> float:
    """The calibrated confidence of a tag with this score."""
    return next(level for floor, level in CONFIDENCE if score >= floor)


TOPICS_ALIASES = {name: aliases for name, (aliases, _) in lx.TOPICS.items()}
_COMPOUNDS = lx.NEUTRAL_COMPOUNDS | frozenset(m for _, members in lx.TOPICS.values() for m in members if " " in m)


def topic_scores(reading: TaskReading) -> Counter[str]:
    """How strongly the task speaks of each topic: per title word 2 (1 if weak), per description word 1 (0 if weak)."""
    scores: Counter[str] = Counter()
    # The lead verb says what is done, not what it is about: "book" a dentist is not reading.
    verb = set((reading.verb or "").split())
    title = _terms(reading.title_words, skip=verb)
    description = _terms(reading.description_words)
    for name, (_, members) in lx.TOPICS.items():
        weak = lx.WEAK[name]
        title_score = sum(1 if found in weak else 2 for found in _found(title, members))
        description_hits = sum(found not in weak for found in _found(description, members))
        # The description alone must say it three times: one word there is often a passing detail.
        score = title_score + (description_hits if title_score or description_hits >= 3 else 0)
        if score:
            scores[name] = score
    for name, points in _verb_topics(reading, scores).items():
        scores[name] += points
    return scores


def _verb_topics(reading: TaskReading, scores: Counter[str]) -> Counter[str]:
    """What the action itself says: buying is an errand, mowing is gardening, reading a named work is reading."""
    out: Counter[str] = Counter()
    verb = reading.verb or ""
    topic = _VERB_TOPICS.get(verb)
    after = _object_of(reading)
    if topic == "errands" and (after is not None and _is_person(after) or _to_person(reading)):
        topic = None  # collecting Amara from football, or returning Dave's drill, is not an errand
    if topic in _PLACES and any(scores.get(place) for place in _PLACES - {topic}):
        topic = None  # the chore is done to the car or the garden, not the home
    if topic:
        out[topic] += 2
    if reading.kind == "read":
        # Reading a book by its name ("Read 'The Overstory'") is reading; reading a report is work.
        out["reading"] += 2 if after is not None and (after.text[:1] in "'\"‘“" or after.text[:1].isupper()) else 1
    return out


def _to_person(reading: TaskReading) -> bool:
    """Whether the title gives something "to" someone (Dave, Mum, the neighbour)."""
    words = reading.title_words
    return any(a.text.lower() == "to" and _is_person(b) for a, b in zip(words, words[1:], strict=False))


def _object_of(reading: TaskReading) -> Word | None:
    """The first word after the lead verb that is not an article or a particle."""
    words = reading.title_words
    verb = (reading.verb or "").split()
    at = [i for i, w in enumerate(words) if w.lemma in verb or w.text.lower() in verb]
    if not at:
        return None
    rest = [x for x in words[max(at) + 1 :] if x.text.lower() not in _FILLERS]
    return rest[0] if rest else None


_FILLERS = frozenset(["the", "a", "an", "my", "our", "some", "up", "back", "off"])


def _is_person(word: Word) -> bool:
    named = word.text[:1].isupper() and not word.text[1:2].isupper()  # "Amara", not "DVDs"
    return word.lemma in lx.RELATIONS or word.lemma in lx.PEOPLE_ROLES or (named and word.lemma not in _ALL_MEMBERS)


def _found(terms: list[tuple[str, ...]], members: frozenset[str]) -> list[str]:
    """The member each term is, in the first of its forms that is one."""
    return [next(f for f in forms if f in members) for forms in terms if any(f in members for f in forms)]


def _terms(words: tuple[Word, ...], skip: set[str] | None = None) -> list[tuple[str, ...]]:
    """The task's words as topic terms, each with its forms: compounds as one term, verb uses left out."""
    lemmas = [w.lemma for w in words]
    texts = [w.text.lower() for w in words]
    out: list[tuple[str, ...]] = []
    i = 0
    while i < len(words):
        if i + 1 < len(words):
            pair = next(
                (p for p in (f"{lemmas[i]} {lemmas[i + 1]}", f"{texts[i]} {texts[i + 1]}") if p in _COMPOUNDS), None
            )
            if pair is not None:
                out.append((pair,))
                i += 2
                continue
        low, lem = texts[i], lemmas[i]
        if skip and lem in skip:
            i += 1
            continue
        following = texts[i + 1] if i + 1 < len(words) else ""
        if i and texts[i - 1] == "to" and lem in lx.ACTION_KINDS:
            pass  # "to book a test" names an action, not a book
        elif lem == "home" and i and lemmas[i - 1] in lx.HOMEWARD:
            pass  # "on the way home" says where, not what
        elif (
            i == 0
            and lem not in _VERB_TOPICS
            and (following in _DETERMINERS or following in _VERB_LINKS and lem in lx.NOUN_VERBS)
        ):
            pass  # a title led by "Oil the gate", "Talk to Jonah": a verb, not the topic's noun
        elif low.endswith(("ing", "ed")) and low != lem:
            out.append((low,))  # a verb form ("working", "booked") is not its noun ("work", "book")
        else:
            out.append((low, lem, low[:-1] if low.endswith("s") and len(low) > 3 else low))
        i += 1
    return out


_VERB_LINKS = frozenset(["to", "with", "through"])
# A title's first word before one of these is an imperative verb: "Oil the gate", "Bank my cheque".
_DETERMINERS = frozenset(["the", "a", "an", "my", "our", "his", "her", "their", "this", "these", "those"])
_ALL_MEMBERS = frozenset(m for _, members in lx.TOPICS.values() for m in members)


def _tag_score(tag: str, reading: TaskReading, scores: Counter[str]) -> int:
    key = lemma(tag.strip().replace("-", " ").replace("_", " "))
    raw = tag.strip().lower()
    topics = [name for name, (aliases, _) in lx.TOPICS.items() if raw in aliases or key in aliases]
    # A tag named after one of a topic's words ("groceries", "forms") stands for that topic.
    topics = topics or [name for name, (_, members) in lx.TOPICS.items() if raw in members or key in members][:1]
    if topics:
        return max(scores.get(name, 0) for name in topics)
    # A tag the lexicon has no topic for: its own word in the task's title or description.
    title = {w.lemma for w in reading.title_words}
    description = {w.lemma for w in reading.description_words}
    return 2 * (key in title) + (key in description) * 2

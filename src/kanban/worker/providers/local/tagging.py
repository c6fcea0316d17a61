"""Local rules that match a task to the board's tags by meaning, and name a new tag only when none fits.

Each board tag is read as a topic (lexicon.TOPICS) through its name, so a board's "money" and
another's "finance" both collect bills, banks and taxes. A tag the lexicon does not know matches
when the task uses the tag's own word. Title words weigh twice what description words do; a
topic needs a title word or two description words before it is proposed.
"""

from __future__ import annotations

from collections import Counter

from kanban.worker.providers.local import lexicon as lx
from kanban.worker.providers.local.features import TaskReading, lemma, read_task
from kanban.worker.providers.tasks import Tags, TagsRequest

MAX_TAGS = 3
MAX_NEW = 2
MIN_SCORE = 2
# Kinds of action that belong to a topic whatever the words: shopping is an errand.
_VERB_TOPICS = {
    "buy": "errands", "purchase": "errands", "pick up": "errands", "collect": "errands", "shop": "errands",
    "drop off": "errands", "pay": "finance", "mow": "garden", "plant": "garden", "prune": "garden",
    "weed": "garden", "hoover": "home", "vacuum": "home", "dust": "home", "mop": "home", "iron": "home",
    "decorate": "home", "repaint": "home",
}  # fmt: skip
# A new tag is for a board that has almost none yet; a board with a vocabulary keeps to it.
NEW_TAGS_BELOW = 3


def suggest_tags(request: TagsRequest) -> Tags:
    reading = read_task(request.title, request.description)
    scores = topic_scores(reading)
    matched: list[tuple[int, str]] = []
    for tag in request.vocabulary:
        score = _tag_score(tag, reading, scores)
        if score >= MIN_SCORE:
            matched.append((score, tag))
    if matched:
        ranked = [tag for _, tag in sorted(matched, key=lambda p: -p[0])][:MAX_TAGS]
        return Tags(tags=ranked, new=[], confidence=0.8)
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


TOPICS_ALIASES = {name: aliases for name, (aliases, _) in lx.TOPICS.items()}


def topic_scores(reading: TaskReading) -> Counter[str]:
    """How strongly the task speaks of each topic: 2 per title word, 1 per description word."""
    scores: Counter[str] = Counter()
    # The lead verb says what is done, not what it is about: "book" a dentist is not reading.
    verb = set((reading.verb or "").split())
    title = tuple(w for w in reading.title_words if w.lemma not in verb)
    for name, (_, members) in lx.TOPICS.items():
        title_hits = _hits(title, members)
        description_hits = _hits(reading.description_words, members)
        # The description alone must say it three times: one word there is often a passing detail.
        score = 2 * title_hits + (description_hits if title_hits or description_hits >= 3 else 0)
        if score:
            scores[name] = score
    if reading.verb in _VERB_TOPICS:
        scores[_VERB_TOPICS[reading.verb]] += 2
    return scores


def _hits(words: tuple[object, ...], members: frozenset[str]) -> int:
    lemmas = [w.lemma for w in words]  # type: ignore[attr-defined]
    texts = [w.text.lower() for w in words]  # type: ignore[attr-defined]
    hits = 0
    for i, (lem, low) in enumerate(zip(lemmas, texts, strict=True)):
        if i and texts[i - 1] == "to" and lem in lx.ACTION_KINDS:
            continue  # "to book a test" names an action, not a book
        pair = f"{lem} {lemmas[i + 1]}" if i + 1 < len(lemmas) else ""
        if pair and pair in members or lem in members or low in members:
            hits += 1
    return hits


def _tag_score(tag: str, reading: TaskReading, scores: Counter[str]) -> int:
    key = lemma(tag.strip().replace("-", " ").replace("_", " "))
    raw = tag.strip().lower()
    topics = [name for name, (aliases, _) in lx.TOPICS.items() if raw in aliases or key in aliases]
    # A tag named after one of a topic's words ("groceries", "forms") stands for that topic.
    topics = topics or [name for name, (_, members) in lx.TOPICS.items() if raw in members or key in members][:1]
    best = max((scores.get(name, 0) for name in topics), default=0)
    if best:
        return best
    # A tag the lexicon has no topic for: its own word in the task's title or description.
    title = {w.lemma for w in reading.title_words}
    description = {w.lemma for w in reading.description_words}
    return 2 * (key in title) + (key in description) * 2

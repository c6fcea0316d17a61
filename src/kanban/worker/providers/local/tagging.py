"""Local rules that match a task's words to the board's tags, and name a new tag only when none fits."""

from __future__ import annotations

from kanban.worker.providers.local.text import stem, stems
from kanban.worker.providers.tasks import Tags, TagsRequest

# Small families of words that belong to one topic; the first word names the topic as a new tag.
_TOPICS: tuple[tuple[str, ...], ...] = (
    ("finance", "money", "bank", "pay", "payment", "invoice", "bill", "tax", "budget", "salary", "insurance", "loan"),
    ("health", "doctor", "dentist", "gym", "medicine", "pharmacy", "workout", "hospital", "therapy", "vaccine"),
    ("work", "office", "client", "boss", "colleague", "report", "presentation", "deadline", "job", "manager"),
    ("home", "house", "kitchen", "garden", "clean", "repair", "plumber", "laundry", "furniture", "apartment"),
    ("shopping", "buy", "shop", "store", "groceries", "grocery", "order", "purchase", "errand", "supermarket"),
    ("family", "mother", "father", "kids", "child", "wife", "husband", "parent", "sister", "brother", "grandma"),
    ("travel", "flight", "hotel", "trip", "passport", "visa", "vacation", "holiday", "airport"),
    ("learning", "course", "article", "reading", "study", "lesson", "tutorial", "learn", "class", "lecture"),
    ("car", "mechanic", "tire", "tyre", "garage", "vehicle", "parking", "fuel"),
    ("admin", "form", "paperwork", "renew", "license", "licence", "registration", "contract", "document"),
    ("social", "friend", "party", "birthday", "dinner", "wedding", "invite", "gift"),
    ("tech", "computer", "laptop", "software", "server", "backup", "password", "update", "install", "code"),
)
_TOPIC_STEMS = tuple(frozenset(stem(word) for word in topic) for topic in _TOPICS)
MAX_TAGS = 3
MAX_NEW = 2


def suggest_tags(request: TagsRequest) -> Tags:
    text_stems = set(stems(f"{request.title}\n{request.description}"))
    matched = [tag for tag in request.vocabulary if _fits(tag, text_stems)]
    if matched:
        return Tags(tags=matched[:MAX_TAGS], new=[], confidence=0.8)
    vocabulary = {tag.casefold() for tag in request.vocabulary}
    hits = {
        topic[0]: len(text_stems & topic_stems)
        for topic, topic_stems in zip(_TOPICS, _TOPIC_STEMS, strict=True)
        if topic[0] not in vocabulary
    }
    best = max(hits.values(), default=0)
    # Only the strongest topics: a stray word should not earn the board a new tag.
    new = [name for name, count in hits.items() if count and count == best][:MAX_NEW]
    return Tags(tags=[], new=new, confidence=0.55 if new else 0.0)


def _fits(tag: str, text_stems: set[str]) -> bool:
    tag_stems = set(stems(tag.replace("-", " ").replace("_", " ")))
    if not tag_stems:
        return False
    if tag_stems <= text_stems:
        return True
    if any(_shares_prefix(t, s) for t in tag_stems for s in text_stems):
        return True
    # A tag that names a topic fits when the task uses any word of that topic.
    return any(tag_stems & topic and text_stems & topic for topic in _TOPIC_STEMS)


def _shares_prefix(a: str, b: str) -> bool:
    """'financ' and 'financial' are one word; short stems must match exactly to avoid 'car' in 'card'."""
    shorter, longer = sorted((a, b), key=len)
    return len(shorter) >= 5 and longer.startswith(shorter)

"""Plain-text building blocks the local rules share: words, stems, sentences, list items."""

from __future__ import annotations

import re

_STOPWORDS = """a about above after again all also am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had has have
    having he her here hers him his how i if in into is it its itself just me more most my myself no nor
    not now of off on once only or other our ours out over own same she should so some such than that the
    their them then there these they this those through to too under until up very was we were what when
    where which while who whom why will with would you your yours yourself need needs want wants please
    get got make sure maybe also etc re fwd todo"""
STOPWORDS = frozenset(_STOPWORDS.split())

URL_PATTERN = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])")
_ABBREVIATION = re.compile(r"\b(?:dr|mr|mrs|ms|prof|st|jr|sr|vs|etc|e\.g|i\.e|no|approx|dept|inc|ltd)\.$", re.I)
_LIST_MARKER = re.compile(
    r"^\s*(?:(?:[-*+]\s+|[•·–—]\s*)(?:\[[ xX]?\]\s*)?|\[[ xX]?\]\s*|\(?\d{1,3}[.)]\s+|\(?[a-z][.)]\s+)"
)

# Word forms that mean the same thing for matching purposes; kept short on purpose.
_CANONICAL = {
    "e-mail": "email",
    "mail": "email",
    "phone": "call",
    "ring": "call",
    "telephone": "call",
    "mom": "mother",
    "mum": "mother",
    "dad": "father",
    "doc": "doctor",
    "appt": "appointment",
    "mtg": "meeting",
    "buy": "purchase",
    "purchas": "purchase",
    "renewal": "renew",
    "approval": "approve",
    "arrival": "arrive",
    "removal": "remove",
    "refusal": "refuse",
}


def words(text: str) -> list[str]:
    """Lowercase words, URLs left out."""
    return [w.replace("’", "'") for w in _WORD.findall(URL_PATTERN.sub(" ", text).lower())]


def stem(word: str) -> str:
    """A light suffix stripper: enough to match 'booking' with 'book' and 'invoices' with 'invoice'."""
    word = _CANONICAL.get(word, word)
    if word.endswith("'s"):
        word = word[:-2]
    for suffix, replacement in (
        ("ies", "y"),
        ("ied", "y"),
        ("sses", "ss"),
        ("ments", ""),
        ("ment", ""),
        ("ings", ""),
        ("ing", ""),
        ("edly", ""),
        ("ed", ""),
        ("ly", ""),
        ("es", "e"),
        ("s", ""),
    ):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                continue
            if suffix == "es" and word[:-2].endswith(("x", "s", "sh", "ch", "z")):
                replacement = ""
            word = word[: -len(suffix)] + replacement
            break
    if len(word) > 4 and word.endswith("e"):
        word = word[:-1]
    return _CANONICAL.get(word, word)


def stem_set(words: str) -> frozenset[str]:
    """The stems of a whitespace-separated word list, for vocabularies written as one string."""
    return frozenset(stem(word) for word in words.split())


def stems(text: str) -> list[str]:
    """Stems of the meaningful words of a text, in order."""
    return [stem(w) for w in words(text) if w not in STOPWORDS and len(w) > 1]


def sentences(text: str) -> list[str]:
    """Sentences, also split at line breaks; empty pieces dropped."""
    out: list[str] = []
    for line in text.splitlines():
        pieces = [s.strip() for s in _SENTENCE_END.split(line) if s.strip()]
        for piece in pieces:
            # "Dr. Miller" is one sentence: a split right after an abbreviation is undone.
            if out and out[-1] and _ABBREVIATION.search(out[-1]) and pieces[0] is not piece:
                out[-1] = f"{out[-1]} {piece}"
            else:
                out.append(piece)
    return out


def list_item(line: str) -> str | None:
    """The text of a bulleted, numbered or checkbox line, or None when the line is not a list item."""
    match = _LIST_MARKER.match(line)
    if not match:
        return None
    return line[match.end() :].strip() or None


def first_url(text: str) -> str | None:
    match = URL_PATTERN.search(text)
    return match.group(0).rstrip(".,;:!?)]}'\"") if match else None

"""Local rules that find the steps a task's description spells out, in whatever form they are written.

Steps come as list lines (bullets, numbers, letters, checkboxes), as inline enumerations
("1) … 2) …", "a) … b) …"), as a labelled list ("Steps: a, b, c"), as one verb shared by a list
("ask three roofers: A, B and C"), or in prose ("first …, then …, finally …"). One step is not a
checklist (it is the task told in detail), so fewer than two steps propose nothing.
"""

from __future__ import annotations

import re

from kanban.worker.providers.local import lexicon as lx
from kanban.worker.providers.local.features import lemma
from kanban.worker.providers.local.text import URL_PATTERN, sentences
from kanban.worker.providers.tasks import Actions, ActionsRequest

MAX_ITEMS = 10
MIN_STEPS = 2

_LIST_MARKER = re.compile(
    r"^\s*(?:[-*+•·▪◦]\s*(?:\[[ xX]?\]\s*)?|[–—]\s+|\[[ xX]?\]\s*|\(?\d{1,2}[.):]\s+|\(?[a-zA-Z][.)]\s+"
    r"|step\s*\d+\s*[.:)\-–]?\s*)",
    re.IGNORECASE,
)
_INLINE_MARKER = re.compile(
    r"(?:^|(?<=\s))(?:\(?(?:\d{1,2}|[a-z])[.)]|step\s*(?:\d{1,2}|[a-z])\s*[:.)\-–])\s+", re.IGNORECASE
)
_LABEL = re.compile(
    r"^\s*(?:steps?|to[- ]?dos?|tasks?|topics?|checklist|things(?: to do)?|jobs|items|plan|list|sections?)\s*:\s*",
    re.IGNORECASE,
)
_NOT_STEPS_LABEL = re.compile(r"^\s*(?:agenda|notes?|context|background|fyi|ps|details?|info)\s*:", re.IGNORECASE)
_SEQUENCE = re.compile(
    r"\s*(?:;|,?\s*\b(?:and\s+)?then\b|,?\s*\b(?:and\s+)?finally\b|,?\s*\bafter\s+that\b|,?\s*\bafterwards\b"
    r"|,?\s*\bnext\b(?=\s*,)|,?\s*\blastly\b)\s*,?\s*",
    re.IGNORECASE,
)
_LEAD_INS = re.compile(
    r"^(?:(?:and|then|also|first(?:ly)?|next|finally|lastly|second(?:ly)?|third(?:ly)?|after that|afterwards|later)"
    r"[,:]?\s+)*(?:(?:i|we)\s+)?(?:(?:really\s+)?(?:need|have|want|ought)\s+to\s+|must\s+|should\s+|remember\s+to\s+"
    r"|don't\s+forget\s+to\s+|do\s+not\s+forget\s+to\s+|please\s+)?",
    re.IGNORECASE,
)
_TRIVIAL = re.compile(
    r"^(?:open|launch|start|turn on|boot|switch on|unlock|wake up)\s+(?:up\s+)?(?:the\s+|my\s+|a\s+)?"
    r"(?:browser|laptop|computer|pc|mac|app|application|website|site|tab|email client|mail app|phone|chrome|firefox)\b"
    r"|^(?:log|sign)\s*(?:in|on)\b|^login\b"
    r"|^(?:go|navigate|head|browse)\s+(?:on)?to\s+(?:the\s+)?(?:\w+\s+){0,3}(?:website|site|page|url|homepage|portal|link)\b"
    r"|^(?:visit|open)\s+(?:the\s+)?(?:\w+\s+){0,3}(?:website|site|page|url|homepage|link)\b"
    r"|^(?:click|scroll|enter (?:my|the) password)\b",
    re.IGNORECASE,
)


def next_actions(request: ActionsRequest) -> Actions:
    items = extract_actions(request.title, request.description)
    return Actions(items=items, confidence=0.8 if items else 0.0)


def extract_actions(title: str, description: str) -> list[str]:
    """The description's steps, trivial ones dropped; empty when it spells out fewer than two.

    A title captured in one line can carry its own numbered or lettered steps ("Plan the party:
    1) invite friends 2) book the hall"); they count when the description has none.
    """
    seen = {_key(title)}
    actions: list[str] = []
    steps = _steps(description)
    if len(steps) < MIN_STEPS:
        steps = _inline_enumeration(title) or steps
    for step in steps:
        action = _tidy(step)
        if action is None or is_trivial(action) or _key(action) in seen:
            continue
        seen.add(_key(action))
        actions.append(action)
        if len(actions) == MAX_ITEMS:
            break
    return actions if len(actions) >= MIN_STEPS else []


def lists_steps(title: str) -> bool:
    """Whether a title carries its own enumerated steps (so it is worth reading without a description)."""
    return bool(_inline_enumeration(title))


def is_trivial(action: str) -> bool:
    """Steps anyone does without thinking (open the browser, log in) do not belong on a checklist."""
    return _TRIVIAL.search(action.strip()) is not None


def _steps(description: str) -> list[str]:
    lines = [line for line in description.replace("\r", "\n").split("\n") if line.strip()]
    listed = [line for line in lines if _LIST_MARKER.match(line)]
    if len(listed) >= MIN_STEPS:
        return [_LIST_MARKER.sub("", line, count=1) for line in listed]
    steps: list[str] = []
    for line in lines:
        inline = _inline_enumeration(line)
        steps += inline or _line_steps(_LIST_MARKER.sub("", line, count=1) if line in listed else line)
    return steps


def _line_steps(line: str) -> list[str]:
    inline = _inline_enumeration(line)
    if inline:
        return inline
    steps: list[str] = []
    for sentence in sentences(line.strip()):
        steps += _sentence_steps(sentence.strip())
    return steps


def _inline_enumeration(line: str) -> list[str]:
    """ "1) book the van 2) redirect post" or "a) … b) …": two or more markers in one line."""
    markers = list(_INLINE_MARKER.finditer(line))
    if len(markers) < MIN_STEPS:
        return []
    labels = [re.sub(r"^step\s*", "", m.group(0).strip(" ().:-–").lower()) for m in markers]
    sequential = all(_follows(a, b) for a, b in zip(labels, labels[1:], strict=False))
    if not sequential or markers[0].start() > 0 and line[: markers[0].start()].strip().endswith((".", "?", "!")):
        return []
    pieces = [line[m.end() : n.start() if n else len(line)] for m, n in zip(markers, [*markers[1:], None], strict=True)]
    return [p.strip(" ,;") for p in pieces if p.strip(" ,;")]


def _follows(a: str, b: str) -> bool:
    if a.isdigit() and b.isdigit():
        return int(b) == int(a) + 1
    return len(a) == len(b) == 1 and ord(b) == ord(a) + 1


def _sentence_steps(sentence: str) -> list[str]:
    if _NOT_STEPS_LABEL.match(sentence):
        return []
    label = _LABEL.match(sentence)
    if label:
        return _list_pieces(sentence[label.end() :])
    head, colon, tail = sentence.partition(":")
    if colon and _verb_led(head) and _names_a_group(head) and len(_list_pieces(tail)) >= MIN_STEPS:
        # One verb shared by a list: "ask three roofers: A, B and C" is one step per name.
        verb = _LEAD_INS.sub("", head.strip(), count=1).split()[0]
        return [f"{verb} {piece}" for piece in _list_pieces(tail)]
    clauses = [c for c in _SEQUENCE.split(sentence) if c and c.strip(" ,.")]
    pieces: list[str] = []
    for clause in clauses:
        by_comma = [p for p in re.split(r",\s*(?:and\s+)?", clause) if p.strip()]
        led = [p for p in by_comma if _verb_led(p)]
        if len(by_comma) > 1 and len(led) >= MIN_STEPS:
            pieces += led
        elif _verb_led(clause):
            pieces.append(clause)
    return pieces


def _list_pieces(text: str) -> list[str]:
    text = text.strip().rstrip(".")
    pieces = re.split(r"\s*(?:,|;)\s*(?:and\s+|or\s+)?|\s+and\s+(?=[^,]*$)", text)
    return [p.strip() for p in pieces if len(p.strip()) > 1]


def _names_a_group(head: str) -> bool:
    """ "ask three roofers", "call the neighbours": a verb whose object is the list that follows."""
    words = head.strip().split()
    last = words[-1].lower() if words else ""
    counted = any(w.lower() in _NUMBERS or w.isdigit() for w in words[1:])
    return counted or (last.endswith("s") and lemma(last) != last)


_NUMBERS = frozenset(
    ["two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "both", "all", "these", "those"]
)
_DETERMINERS = frozenset({"the", "a", "an", "my", "your", "our", "his", "her", "their", "its", "this", "that"})
_PRONOUNS = frozenset({"it", "them", "him", "me", "us", "i", "we", "you", "he", "she", "they", "there", "here"})
# What follows a verb in an imperative ("freeze the card", "sign it", "tape all four"): its object.
_FUNCTION_WORDS = (
    _DETERMINERS | _PRONOUNS | _NUMBERS | {"each", "every", "some", "any", "one", "up", "out", "off", "back"}
)
# Words a clause may start with that are never its verb.
_NOT_VERBS = _DETERMINERS | _PRONOUNS | {"these", "those"} | {
    "maybe", "perhaps", "probably", "possibly", "also", "just", "not", "no", "only", "still", "even",
    "especially", "ideally", "hopefully", "definitely", "about", "around",
}  # fmt: skip


def _verb_led(text: str) -> bool:
    """Whether a clause starts with a verb: a known one, or an unknown base form followed by its object."""
    text = _LEAD_INS.sub("", text.strip(), count=1)
    found = re.findall(r"[A-Za-z][\w'-]*", text)
    if not found:
        return False
    word = found[0].lower()
    if word in lx.STEP_VERBS or lemma(word) in lx.STEP_VERBS and not word.endswith(("ing", "ed", "s")):
        return True
    # "Freeze the card", "defrost it": a bare word (no plural or past ending) followed by an object.
    following = found[1].lower() if len(found) > 1 else ""
    return (
        word not in _NOT_VERBS
        and not word.endswith(("ing", "ed", "s", "ly"))
        and lemma(word) == word
        and following in _FUNCTION_WORDS
    )


def _tidy(text: str) -> str | None:
    text = URL_PATTERN.sub(lambda m: m.group(0), text)
    text = _LEAD_INS.sub("", text.strip(), count=1).strip(" \t-–—:;,")
    text = re.sub(r"\s+", " ", text).rstrip(".!;,")
    if len(text) < 2 or text.endswith("?"):
        return None
    return text[0].upper() + text[1:]


def _key(text: str) -> str:
    """What makes two actions the same: their letters and digits, case folded."""
    return re.sub(r"[^\w]+", " ", text.casefold()).strip()

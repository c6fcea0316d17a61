"""Local rules that find concrete next actions in a task's description."""

from __future__ import annotations

import re

from kanban.worker.providers.local.text import list_item, sentences
from kanban.worker.providers.tasks import Actions, ActionsRequest

MAX_ITEMS = 10

# Verbs a GTD next action usually starts with; a sentence starting with one is an action.
_ACTION_VERBS_TEXT = """ask arrange book bring buy call cancel change check choose clean collect compare complete confirm contact
    create decide delete deliver download draft drop email file fill find finish fix follow get give hire install
    invite list mail make measure meet message move order organise organize pack pay phone pick plan post prepare
    print read register remind renew repair replace reply request reserve research return review schedule scan
    send set share sign sort submit take talk tell text transfer update upload visit wash watch write"""
_ACTION_VERBS = frozenset(_ACTION_VERBS_TEXT.split())
_LEAD_INS = re.compile(
    r"^(?:(?:and|then|also|first|next|finally|after that|afterwards|later)[,:]?\s+)*"
    r"(?:(?:i|we)\s+)?(?:(?:really\s+)?(?:need|have|want|ought)\s+to|must|should|remember\s+to|don't\s+forget\s+to|"
    r"do\s+not\s+forget\s+to|please)?\s*",
    re.IGNORECASE,
)
_TRIVIAL = re.compile(
    r"^(?:open|launch|start|turn on|boot|switch on|unlock|wake up)\s+(?:up\s+)?(?:the\s+|my\s+|a\s+)?"
    r"(?:browser|laptop|computer|pc|mac|app|application|website|site|tab|email client|mail app|phone|chrome|firefox)\b"
    r"|^(?:log|sign)\s*(?:in|on)\b|^login\b"
    r"|^(?:go|navigate|head|browse)\s+to\s+(?:the\s+)?(?:website|site|page|url|homepage|portal|link)\b"
    r"|^(?:visit|open)\s+(?:the\s+)?(?:website|site|page|url|homepage|link)\b"
    r"|^(?:click|scroll|enter (?:my|the) password)\b",
    re.IGNORECASE,
)
_SPLIT_SEQUENCE = re.compile(r"(?:,\s*|\s+)(?:and\s+)?then\s+|;\s+", re.IGNORECASE)


def next_actions(request: ActionsRequest) -> Actions:
    items = extract_actions(request.title, request.description)
    return Actions(items=items, confidence=0.75 if items else 0.0)


def extract_actions(title: str, description: str) -> list[str]:
    """Concrete actions from list items first, otherwise from imperative sentences; trivial steps dropped."""
    listed = [item for line in description.splitlines() if (item := list_item(line))]
    candidates = listed if listed else [piece for s in sentences(description) for piece in _SPLIT_SEQUENCE.split(s)]
    seen = {_key(title)}
    actions: list[str] = []
    for candidate in candidates:
        action = _as_action(candidate, require_verb=not listed)
        if action is None or is_trivial(action) or _key(action) in seen:
            continue
        seen.add(_key(action))
        actions.append(action)
        if len(actions) == MAX_ITEMS:
            break
    return actions


def is_trivial(action: str) -> bool:
    """Steps anyone does without thinking (open the browser, log in) do not belong on a checklist."""
    return _TRIVIAL.search(action.strip()) is not None


def _as_action(text: str, require_verb: bool) -> str | None:
    text = _LEAD_INS.sub("", text.strip(), count=1).strip(" \t-–—:;,")
    text = re.sub(r"\s+", " ", text).rstrip(".!;,")
    if len(text) < 3 or text.endswith("?"):
        return None
    first = text.split(" ", 1)[0].lower().strip(",:")
    if require_verb and first not in _ACTION_VERBS:
        return None
    return text[0].upper() + text[1:]


def _key(text: str) -> str:
    """What makes two actions the same: their letters and digits, case folded."""
    return re.sub(r"[^\w]+", " ", text.casefold()).strip()

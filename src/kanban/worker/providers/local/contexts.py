"""The GTD context a task needs, from what its action is and what the action is done to.

Each rule carries a confidence measured on labelled tasks (see tests/unit/worker/test_calibration.py):
an explicit verb ("call", "email", "read") is right almost always; a verb whose context depends on
its object ("book" a dentist is a call, "book" flights is desk work) less often; a guess from the
object alone less still. Tasks whose action happens with the hands (fix, clean, mow, pack) or in
the head (think, decide) get no context: no context fits them.
"""

from __future__ import annotations

from kanban.worker.providers.local import lexicon as lx
from kanban.worker.providers.local.features import TaskReading
from kanban.worker.providers.tasks import Context

# Confidence of each kind of evidence. Only the first reaches a board's default auto-apply
# threshold (0.9): an explicit verb in the title is the one thing right 95 % of the time.
EXPLICIT = 0.95
STRONG = 0.85
OBJECT_DECIDES = 0.75
DESCRIPTION_SAYS = 0.7
WEAK = 0.5
GUESS = 0.3

_VERB_CONTEXT: dict[str, tuple[Context, float]] = {
    "phone": ("PHONE", EXPLICIT),
    "email": ("EMAIL", EXPLICIT),
    "read": ("READ", EXPLICIT),
    "watch": ("WATCH", EXPLICIT),
    "meet": ("MEETING", STRONG),
    "write": ("DESK", STRONG),
    "desk": ("DESK", STRONG),
    "pay": ("DESK", STRONG),
    "send": ("EMAIL", OBJECT_DECIDES),
    "ask": ("EMAIL", WEAK),
    "acquire": ("OTHER", OBJECT_DECIDES),
    "return": ("OTHER", OBJECT_DECIDES),
    "renew": ("DESK", GUESS),
    "choose": ("DESK", GUESS),
    "visit": ("OTHER", GUESS),
}
# Verbs whose words explicitly name the medium, with a weaker form of the same verb.
_SOFT_FORMS = {"answer": 0.85, "respond": 0.85, "message": 0.75, "forward": 0.85, "go through": 0.85, "study": 0.8}
_HANDS_OR_HEAD = frozenset({"fix", "clean", "garden", "make", "think", "check", "listen"})
# Verbs meaning "sign up / enrol": could be a form, a call or a visit.
_SIGN_UP = frozenset({"register", "enrol", "enroll", "sign up", "apply"})


def infer_context(reading: TaskReading) -> tuple[Context | None, float]:
    kind, verb = reading.kind, reading.verb
    objects = reading.title_objects
    if kind is None:
        return _from_objects(reading)
    if verb in _SOFT_FORMS and kind in _VERB_CONTEXT:
        context, _ = _VERB_CONTEXT[kind]
        return context, _SOFT_FORMS[verb]
    if kind == "arrange":
        return _arranged(reading)
    if kind == "cancel":
        if "phone" in reading.description_kinds:
            return "PHONE", DESCRIPTION_SAYS
        return "DESK", 0.6
    if kind == "acquire" and verb == "order":
        return "DESK", OBJECT_DECIDES
    if kind == "acquire" and verb == "get":
        return _from_description(reading) or _from_objects(reading)
    if kind == "desk" and verb == "review" and objects["document"] and not objects["deskwork"]:
        return "READ", 0.7
    if kind == "desk" and verb in _SIGN_UP:
        return "DESK", GUESS
    if kind == "pay" and verb == "transfer" and not objects["deskwork"]:
        return "DESK", 0.6
    if kind == "send" and objects["goods"]:
        return "OTHER", WEAK
    if kind == "check" and objects["deskwork"] and not objects["goods"]:
        return "DESK", WEAK  # checking flight times or an account happens on a screen, the tyres by hand
    if kind == "read" and objects["instrument"]:
        return _from_description(reading, phone_only=True) or (None, 0.0)
    if kind in _HANDS_OR_HEAD:
        return _from_description(reading, phone_only=True) or (None, 0.0)
    if kind in _VERB_CONTEXT:
        return _VERB_CONTEXT[kind]
    return None, 0.0


def _arranged(reading: TaskReading) -> tuple[Context | None, float]:
    """Booking, scheduling or organising: the thing arranged decides how it is done."""
    objects = reading.title_objects
    # "A physio session" is an appointment: who is seen says more than the word for the slot.
    if objects["meeting"] and not objects["appointment"]:
        return "MEETING", STRONG
    if objects["appointment"]:
        return "PHONE", OBJECT_DECIDES
    if objects["deskwork"]:
        return "DESK", OBJECT_DECIDES
    return _from_description(reading) or (None, 0.0)


def _from_description(reading: TaskReading, *, phone_only: bool = False) -> tuple[Context, float] | None:
    """A description that says how ("call them", "email it") decides a vague title."""
    for kind in reading.description_kinds:
        if kind == "phone":
            return "PHONE", DESCRIPTION_SAYS
        if phone_only:
            continue
        if kind == "email":
            return "EMAIL", DESCRIPTION_SAYS
    return None


def _from_objects(reading: TaskReading) -> tuple[Context | None, float]:
    """A title without a verb ("Team retro", "Christmas shopping"): what it names decides, less surely."""
    objects = reading.title_objects
    if reading.kind is None:
        # The head of a noun phrase is its last noun: "Kickoff deck" is a deck, "Hiring plan review" a review.
        head = _head_kind(reading)
        if head == "review":  # a review with someone is a meeting; a review alone is not said
            head = "meeting" if reading.names or "w/" in {w.text.lower() for w in reading.title_words} else None
        if head == "meeting" or (head is None and objects["meeting"]):
            return "MEETING", STRONG if head == "meeting" else WEAK
        if head == "deskwork":
            return "DESK", WEAK
        if head == "goods" or "shop" in reading.title_concepts or "shopping" in reading.title_concepts:
            return "OTHER", WEAK
        if head == "video":
            return "WATCH", WEAK
        if head == "document":
            return "READ", GUESS
        if head == "appointment":
            return "PHONE", GUESS
        if reading.title_kinds:
            kind = reading.title_kinds[0]
            if kind in _VERB_CONTEXT and kind not in _HANDS_OR_HEAD:
                context, confidence = _VERB_CONTEXT[kind]
                return context, min(confidence, STRONG)
    found = _from_description(reading)
    if found is not None:
        return found
    return None, 0.0


def _head_kind(reading: TaskReading) -> str | None:
    head: str | None = None
    for word in reading.title_words:
        low = word.text.lower()
        if low in {"for", "with", "w/", "about", "from", "to", "at", "in", "on", "-", "re", "by", "of"}:
            break
        if word.lemma in lx.OBJECT_KINDS:
            head = lx.OBJECT_KINDS[word.lemma]
        elif word.lemma == "review":
            head = "review"
        elif word.lemma == "pay" and head is not None:
            head = "deskwork"
    return head

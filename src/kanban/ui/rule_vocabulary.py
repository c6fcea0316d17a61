"""What the rule editor offers, read from the API's own request schema: each trigger and action kind
with its fields, and the condition fields and operators.

A kind added to the API's `Trigger` or `Action` union appears in the editor by itself, its fields
inferred from its config model (an enum is a choice, an integer a number, a list of text one item
per line, anything else JSON); the tables below only make names read well.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any, get_args

from kanban.api.rules.schemas import CaptureSource, CreateRuleRequest
from kanban.contracts.events import ColumnType, Priority, TaskContext

KIND_LABELS = {
    "task.created": "A task is created",
    "task.moved": "A task is moved",
    "task.updated": "A task's fields change",
    "checklist.completed": "A checklist is completed",
    "task.due_soon": "A task is due soon",
    "task.overdue": "A task is overdue",
    "task.idle": "A task has not moved for a while",
    "schedule": "On a schedule",
    "manual": "Only when run by hand",
    "move": "Move to a column",
    "move_to_type": "Move to a column type",
    "add_tag": "Add a tag",
    "remove_tag": "Remove a tag",
    "set_context": "Set the context",
    "set_priority": "Set the priority",
    "set_project": "Set the project",
    "set_due": "Set the due date",
    "set_waiting": "Set waiting-for",
    "add_checklist": "Add checklist items",
    "mark_done": "Mark done",
    "archive": "Archive",
    "create_task": "Create a task",
    "add_note": "Add a note to the history",
    "request_analysis": "Ask the Worker for hints",
    "notify": "Notify me (digest or webhook)",
}
FIELD_LABELS = {
    "columnId": "Column",
    "columnType": "Column type",
    "fromColumnId": "From column",
    "toColumnId": "To column",
    "fromColumnType": "From column type",
    "toColumnType": "To column type",
    "sources": "Captured from",
    "fields": "Fields",
    "rrule": "Recurrence (RRULE)",
    "timezone": "Time zone",
    "withinDays": "Within days",
    "days": "Days",
    "position": "Position",
    "name": "Tag",
    "inDays": "In days (empty clears)",
    "waitingFor": "Waiting for",
    "followUpInDays": "Follow up in days",
    "items": "Items (one per line)",
    "templateId": "From template",
    "checklist": "Checklist (one per line)",
    "text": "Note",
    "projectId": "Project",
    "channel": "Channel",
    "webhookId": "Webhook",
    "message": "Message",
}
COLUMN_TYPE_LABELS = {
    "INPUT": "Inbox", "CLARIFY": "Clarify", "CONTEXT": "Next actions (a context lane)", "WAITING": "Waiting for",
    "SOMEDAY": "Someday/Maybe", "DONE": "Done", "ARCHIVE": "Archive",
}  # fmt: skip
# Fields whose absence means "leave it" and whose null means "clear it": they get a "clear" box.
CLEARABLE = frozenset({"waitingFor"})
# Fields that name a row of the board: the editor offers the board's own columns, projects, templates.
REFERENCES = {"columnId": "column", "fromColumnId": "column", "toColumnId": "column",
              "projectId": "project", "templateId": "template", "webhookId": "webhook"}  # fmt: skip

CONDITION_FIELDS = {
    "title": ("Title", "text"), "description": ("Description", "text"), "tags": ("Tags", "text"),
    "waitingFor": ("Waiting for", "text"), "context": ("Context", "context"), "priority": ("Priority", "priority"),
    "columnId": ("Column", "column"), "columnType": ("Column type", "columnType"), "projectId": ("Project", "project"),
    "source": ("Captured from", "source"), "dueAt": ("Due (ISO date or days from now)", "when"),
    "durationMinutes": ("Duration (minutes)", "number"), "ageDays": ("Age (days)", "number"),
    "isDone": ("Done", "bool"), "needsBreakdown": ("Needs breakdown", "bool"),
    "checklistDone": ("Checklist complete", "bool"), "stale": ("Stale", "bool"),
}  # fmt: skip
OPERATORS = {"eq": "is", "neq": "is not", "contains": "contains", "in": "is one of", "gt": "is more than / after",
             "lt": "is less than / before"}  # fmt: skip
# The fixed choices of a condition value or of an enum field, by kind.
CHOICES: dict[str, tuple[tuple[str, str], ...]] = {
    "columnType": tuple((t, COLUMN_TYPE_LABELS.get(t, t)) for t in get_args(ColumnType)),
    "context": tuple((c, c.capitalize()) for c in get_args(TaskContext)),
    "priority": tuple((p, p.capitalize()) for p in get_args(Priority)),
    "source": tuple((s, s) for s in get_args(CaptureSource)),
    "bool": (("true", "yes"), ("false", "no")),
}


@dataclass(frozen=True)
class FieldSpec:
    """One config field as the editor shows it; `widget` says how (see module docstring)."""

    name: str
    label: str
    widget: str  # text | number | checkbox | select | multi | lines | json | column | project | template
    required: bool
    nullable: bool
    options: tuple[tuple[str, str], ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    default: Any = None
    help: str | None = None

    @property
    def empty(self) -> str:
        """What an empty input sends: null when the API needs the field and accepts null, else nothing."""
        return "null" if self.required and self.nullable else "omit"

    @property
    def clearable(self) -> bool:
        return self.name in CLEARABLE and self.nullable and not self.required


@dataclass(frozen=True)
class Kind:
    type: str
    label: str
    fields: tuple[FieldSpec, ...]


@dataclass(frozen=True)
class Vocabulary:
    triggers: tuple[Kind, ...]
    actions: tuple[Kind, ...]

    def trigger(self, type_: str) -> Kind | None:
        return next((k for k in self.triggers if k.type == type_), None)

    def action(self, type_: str) -> Kind | None:
        return next((k for k in self.actions if k.type == type_), None)


def label_of(name: str) -> str:
    words = "".join(f" {c.lower()}" if c.isupper() else c for c in name)
    return FIELD_LABELS.get(name, words.strip().capitalize())


def _field(name: str, schema: dict[str, Any], required: bool) -> FieldSpec:
    options = [s for s in schema.get("anyOf", [schema]) if s.get("type") != "null"]
    nullable = len(options) < len(schema.get("anyOf", [schema]))
    inner = options[0] if len(options) == 1 else {}
    items = inner.get("items") or {}
    choices: tuple[tuple[str, str], ...] = ()
    if name in REFERENCES:
        widget = REFERENCES[name]
    elif "enum" in inner:
        widget, choices = "select", tuple((v, COLUMN_TYPE_LABELS.get(v, v.capitalize())) for v in inner["enum"])
    elif inner.get("type") == "array" and "enum" in items:
        widget, choices = "multi", tuple((v, v) for v in items["enum"])
    elif inner.get("type") == "array" and items.get("type") == "string":
        widget = "lines"
    else:
        simple = {"integer": "number", "number": "number", "string": "text", "boolean": "checkbox"}
        widget = simple.get(str(inner.get("type")), "json")
    return FieldSpec(
        name=name, label=label_of(name), widget=widget, required=required, nullable=nullable, options=choices,
        minimum=inner.get("minimum"), maximum=inner.get("maximum"), default=schema.get("default"),
        help=schema.get("description"),
    )  # fmt: skip


def _resolve(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref") or next((s["$ref"] for s in schema.get("anyOf", []) if "$ref" in s), None)
    return defs[ref.rsplit("/", 1)[-1]] if ref else schema


def kinds_of(union: dict[str, Any], defs: dict[str, Any]) -> tuple[Kind, ...]:
    kinds = []
    by_ref = {ref: type_ for type_, ref in union["discriminator"]["mapping"].items()}
    for ref in (s["$ref"] for s in union["oneOf"]):  # in the union's order, as the API lists them
        type_ = by_ref[ref]
        config = _resolve(_resolve({"$ref": ref}, defs)["properties"].get("config", {}), defs)
        required = set(config.get("required", []))
        fields = tuple(_field(n, s, n in required) for n, s in config.get("properties", {}).items())
        kinds.append(Kind(type_, KIND_LABELS.get(type_, type_.replace("_", " ").capitalize()), fields))
    return tuple(kinds)


@cache
def vocabulary() -> Vocabulary:
    schema = CreateRuleRequest.model_json_schema(by_alias=True)
    defs, props = schema["$defs"], schema["properties"]
    return Vocabulary(kinds_of(props["trigger"], defs), kinds_of(props["actions"]["items"], defs))

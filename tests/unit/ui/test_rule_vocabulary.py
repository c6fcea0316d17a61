"""The rule editor's vocabulary comes from the API's schema, and rules read in words."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from kanban.ui.rule_vocabulary import kinds_of, vocabulary
from kanban.ui.rule_words import action_words, change_words, condition_words, trigger_words


class _NotifyConfig(BaseModel):
    channel: Literal["digest", "webhook"]
    url: str | None = None
    retries: int = Field(default=3, ge=0, le=10)
    headers: dict[str, str] | None = None


class _NotifyAction(BaseModel):
    type: Literal["ping"]
    config: _NotifyConfig


class _TagAction(BaseModel):
    type: Literal["add_tag"]
    config: dict[str, Any]


class _Rule(BaseModel):
    actions: list[Annotated[_NotifyAction | _TagAction, Field(discriminator="type")]]


def test_a_new_action_kind_gets_its_fields_from_its_config_model() -> None:
    schema = _Rule.model_json_schema()
    kinds = kinds_of(schema["properties"]["actions"]["items"], schema["$defs"])
    notify = next(k for k in kinds if k.type == "ping")
    assert notify.label == "Ping"
    fields = {f.name: f for f in notify.fields}
    assert (fields["channel"].widget, fields["channel"].required) == ("select", True)
    assert [v for v, _ in fields["channel"].options] == ["digest", "webhook"]
    assert (fields["url"].widget, fields["url"].nullable, fields["url"].empty) == ("text", True, "omit")
    assert (fields["retries"].widget, fields["retries"].minimum, fields["retries"].maximum) == ("number", 0, 10)
    assert fields["retries"].default == 3
    assert fields["headers"].widget == "json"  # a shape the form has no widget for is still editable


def test_the_apis_own_kinds_in_its_order_with_board_references() -> None:
    vocab = vocabulary()
    assert [k.type for k in vocab.triggers][:2] == ["task.created", "task.moved"]
    move = vocab.action("move")
    assert move is not None
    column, position = move.fields
    assert (column.widget, column.required, position.default) == ("column", True, "bottom")
    due = vocab.action("set_due")
    assert due is not None and due.fields[0].empty == "null"  # null clears the due date
    waiting = vocab.action("set_waiting")
    assert waiting is not None and waiting.fields[0].clearable and not waiting.fields[1].clearable
    created = vocab.trigger("task.created")
    assert created is not None and {f.name: f.widget for f in created.fields}["sources"] == "multi"
    notify = vocab.action("notify")
    assert notify is not None and {f.name: f.widget for f in notify.fields}["webhookId"] == "webhook"


def test_rules_in_words() -> None:
    names = {"c1": "Waiting for"}
    assert (
        trigger_words({"type": "task.moved", "config": {"toColumnId": "c1"}}, names)
        == "A task is moved to “Waiting for”"
    )
    assert trigger_words({"type": "task.moved", "config": {"fromColumnId": "gone"}}, names) == (
        "A task is moved from “a removed column”"
    )
    weekly = {
        "type": "schedule",
        "config": {"rrule": "FREQ=WEEKLY;BYDAY=MO,FR;BYHOUR=9;BYMINUTE=30", "timezone": "UTC"},
    }
    assert trigger_words(weekly, names) == "Every Monday, Friday at 09:30 (UTC)"
    odd = {"type": "schedule", "config": {"rrule": "FREQ=DAILY;COUNT=3", "timezone": "Europe/Berlin"}}
    assert trigger_words(odd, names) == "On the schedule FREQ=DAILY;COUNT=3 (Europe/Berlin)"
    assert trigger_words({"type": "task.idle", "config": {"days": 7, "columnType": "DONE"}}, names) == (
        "A task has not moved for a while in Done (7 days)"
    )
    assert (
        condition_words({"field": "columnId", "operator": "in", "value": ["c1"]}, names)
        == "column is one of Waiting for"
    )
    assert condition_words({"field": "context", "operator": "eq", "value": None}, names) == "context is empty"
    # Keys in the API's declared order, whatever order the database returned them in.
    move = {"type": "move", "config": {"position": "top", "columnId": "c1"}}
    assert action_words(move, names) == "Move to a column: “Waiting for”, top"
    assert action_words({"type": "mark_done", "config": {}}, names) == "Mark done"
    assert change_words({"field": "tags", "old": [], "new": ["calls"]}) == "tags: — → calls"
    assert change_words({"action": "move", "toName": "Done", "position": "bottom"}) == "moved to “Done” (bottom)"
    assert change_words({"action": "request_analysis"}) == "Ask the Worker for hints"

"""One-click GTD rules: each preset is an ordinary rule document, validated like any other on install.

Presets name column types, not column ids, so they fit any board that has the GTD columns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Preset:
    key: str
    name: str
    description: str
    trigger: dict[str, Any]
    actions: list[dict[str, Any]]
    conditions: list[dict[str, Any]] = field(default_factory=list)


PRESETS: tuple[Preset, ...] = (
    Preset(
        "waiting-follow-up",
        "Waiting-for follow-up back to Next actions",
        "When a Waiting-for task's follow-up date (its due date) passes, move it to the top of Next actions.",
        {"type": "task.overdue", "config": {}},
        [{"type": "move_to_type", "config": {"columnType": "CONTEXT", "position": "top"}}],
        [{"field": "columnType", "operator": "eq", "value": "WAITING"}],
    ),
    Preset(
        "archive-done",
        "Archive Done after 7 days",
        "A task that has sat in Done for 7 days moves to the Archive.",
        {"type": "task.idle", "config": {"days": 7, "columnType": "DONE"}},
        [{"type": "archive", "config": {}}],
    ),
    Preset(
        "overdue-tag",
        "Tag overdue tasks",
        "A task whose due date has passed gets the tag 'overdue'.",
        {"type": "task.overdue", "config": {}},
        [{"type": "add_tag", "config": {"name": "overdue"}}],
    ),
    Preset(
        "checklist-done",
        "Checklist completed: done",
        "When the last item of a task's checklist is checked, the task is marked done.",
        {"type": "checklist.completed", "config": {}},
        [{"type": "mark_done", "config": {}}],
    ),
    Preset(
        "weekly-review",
        "Weekly review every Friday",
        "Every Friday at 16:00 (your time zone) a 'Weekly review' task with its checklist lands in the Inbox.",
        {"type": "schedule", "config": {"rrule": "FREQ=WEEKLY;BYDAY=FR;BYHOUR=16;BYMINUTE=0", "timezone": "UTC"}},
        [
            {
                "type": "create_task",
                "config": {
                    "title": "Weekly review",
                    "columnType": "INPUT",
                    "checklist": [
                        "Empty the Inbox",
                        "Review Next actions",
                        "Review Waiting for",
                        "Review projects",
                        "Review Someday/Maybe",
                    ],
                },
            }
        ],
    ),
    Preset(
        "waiting-follow-up-date",
        "Moved to Waiting for: follow up in 3 days",
        "A task moved to Waiting for gets a follow-up date (its due date) three days out.",
        {"type": "task.moved", "config": {"toColumnType": "WAITING"}},
        [{"type": "set_waiting", "config": {"followUpInDays": 3}}],
    ),
    Preset(
        "out-of-waiting",
        "Moved out of Waiting for: clear waiting-for",
        "A task leaving Waiting for loses its waiting-for note.",
        {"type": "task.moved", "config": {"fromColumnType": "WAITING"}},
        [{"type": "set_waiting", "config": {"waitingFor": None}}],
    ),
    Preset(
        "email-context",
        "Captured by email: context EMAIL",
        "A task captured by email is tagged 'email' and gets the EMAIL context.",
        {"type": "task.created", "config": {"sources": ["email"]}},
        [{"type": "add_tag", "config": {"name": "email"}}, {"type": "set_context", "config": {"context": "EMAIL"}}],
    ),
    Preset(
        "due-tomorrow",
        "Due within a day: top of Next actions",
        "A task due within a day moves to the top of Next actions with priority HIGH.",
        {"type": "task.due_soon", "config": {"withinDays": 1}},
        [
            {"type": "move_to_type", "config": {"columnType": "CONTEXT", "position": "top"}},
            {"type": "set_priority", "config": {"priority": "HIGH"}},
        ],
    ),
    Preset(
        "someday-tag",
        "Tag 'someday': move to Someday/Maybe",
        "Adding the tag 'someday' moves the task to Someday/Maybe.",
        {"type": "task.updated", "config": {"fields": ["tags"]}},
        [{"type": "move_to_type", "config": {"columnType": "SOMEDAY"}}],
        [{"field": "tags", "operator": "eq", "value": "someday"}],
    ),
    Preset(
        "stale-next",
        "Stale in Next actions: tag 'stale'",
        "A task that has not moved for 14 days in a context lane is tagged 'stale'.",
        {"type": "task.idle", "config": {"days": 14, "columnType": "CONTEXT"}},
        [{"type": "add_tag", "config": {"name": "stale"}}],
    ),
    Preset(
        "clarify-help",
        "Created with no context: ask for an analysis",
        "A new task without a context asks the Worker for fresh hints.",
        {"type": "task.created", "config": {}},
        [{"type": "request_analysis", "config": {}}],
        [{"field": "context", "operator": "eq", "value": None}],
    ),
    Preset(
        "follow-up-digest",
        "Waiting-for follow-up due: tell me in the digest",
        "When a Waiting-for task's follow-up date (its due date) passes, it is listed in your next daily digest.",
        {"type": "task.overdue", "config": {}},
        [{"type": "notify", "config": {"channel": "digest", "message": "Follow up: the date you set has come"}}],
        [{"field": "columnType", "operator": "eq", "value": "WAITING"}],
    ),
)
PRESETS_BY_KEY = {p.key: p for p in PRESETS}

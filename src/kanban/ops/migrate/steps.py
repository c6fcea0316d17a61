"""The split, table by table: which legacy table feeds which target table, in an order that satisfies foreign keys."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table

from kanban.api import tables as api
from kanban.ops.legacy import mapping
from kanban.ops.legacy.context import LegacyContext
from kanban.ops.legacy.findings import Findings
from kanban.ops.legacy.layout import Layout
from kanban.ops.migrate import seeding, server_copy
from kanban.ops.migrate.server_copy import ServerCopy
from kanban.worker import tables as worker

Mapper = Callable[[Any, LegacyContext, Findings], dict[str, Any] | None]
Seeder = Callable[..., Awaitable[list[dict[str, Any]]]]  # the outbox rows of a batch's seeding events


@dataclass(frozen=True)
class Step:
    name: str
    service: str  # the target database: api | worker
    schema: str  # the legacy schema read
    table: str  # the legacy table read
    key: str  # batches follow this column; rows sharing it stay in one batch
    target: Table
    mapper: Callable[[], Mapper]
    kind: str | None = None  # ids of invalid rows are remembered under this kind for their children
    update_key: str | None = None  # set: the step updates target rows by this column instead of inserting
    seed: Seeder | None = None
    order: str = ""
    # Set: the legacy server can map this step itself, when nothing in the data needs the mapper.
    server_copy: ServerCopy | None = None

    def row_id(self, row: Any) -> str:
        return f"{row['taskId']}/{row['tagId']}" if self.table == "TaskTag" else str(row["id"])


def _plain(fn: Mapper) -> Callable[[], Mapper]:
    return lambda: fn


def steps_for(layout: Layout) -> list[Step]:
    s = layout.schema
    steps = [
        Step("users", "api", s, "User", "id", api.users, _plain(mapping.map_user), "user"),
        Step("boards", "api", s, "Board", "id", api.boards, _plain(mapping.map_board), "board", seed=seeding.seed_boards),
        Step("users.default_board", "api", s, "User", "id", api.users, _plain(mapping.map_default_board),
             update_key="id"),
        Step("columns", "api", s, "Column", "id", api.columns, _plain(mapping.map_column), "column"),
        Step("projects", "api", s, "Project", "id", api.projects, _plain(mapping.map_project), "project",
             seed=seeding.seed_projects),
        Step("tags", "api", s, "Tag", "id", api.tags, _plain(mapping.map_tag), "tag", seed=seeding.seed_tags),
        Step("tasks", "api", s, "Task", "id", api.tasks, _plain(mapping.map_task), "task", seed=seeding.seed_tasks),
        Step("checklist_items", "api", s, "ChecklistItem", "id", api.checklist_items,
             _plain(mapping.map_checklist_item), server_copy=server_copy.CHECKLIST_ITEMS),
        Step("task_tags", "api", s, "TaskTag", "taskId", api.task_tags, mapping.TaskTagMapper, order='"tagId"'),
        Step("task_events", "api", s, "TaskEvent", "id", api.task_events, _plain(mapping.map_task_event),
             server_copy=server_copy.TASK_EVENTS),
        Step("rules", "api", s, "Rule", "id", api.rules, _plain(mapping.map_rule)),
        Step("recurring_templates", "api", s, "RecurringTemplate", "id", api.recurring_templates,
             _plain(mapping.map_recurring_template)),
        Step("hints", "api", s, "Hint", "id", api.hints, _plain(mapping.map_hint), server_copy=server_copy.HINTS),
        Step("email_action_tokens", "api", s, "EmailActionToken", "id", api.email_action_tokens,
             _plain(mapping.map_email_action_token)),
        Step("agent_memory", "worker", s, "LocalBrain", "id", worker.agent_memory, _plain(mapping.map_brain)),
    ]  # fmt: skip
    if "LocalBrain" in layout.worker_tables:
        steps.append(
            Step("agent_memory.worker_copy", "worker", "worker", "LocalBrain", "id", worker.agent_memory,
                 _plain(mapping.map_worker_copy_brain))
        )  # fmt: skip
    return steps


def ignored_worker_tables(layout: Layout) -> Sequence[str]:
    """Tables of the worker copy that are not read: the schema of record holds the truth."""
    return [t for t in layout.worker_tables if t != "LocalBrain"]

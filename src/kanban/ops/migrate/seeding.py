"""The events that seed the Worker's read model, written to the API outbox with the rows they describe.

Event ids and times are derived from the run and the row, so a resumed run writes exactly the
events an uninterrupted one would.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from kanban.contracts.base import Event
from kanban.contracts.envelope import Envelope
from kanban.contracts.events import (
    BoardCreatedV1,
    BoardState,
    ProjectCreatedV1,
    ProjectState,
    TagCreatedV1,
    TagState,
    TaskSnapshottedV1,
    TaskState,
)
from kanban.ops.legacy.context import LegacyContext
from kanban.ops.legacy.layout import qualified
from kanban.ops.legacy.source import LegacySource

_NAMESPACE = uuid.UUID("6f7c1c8e-2d0a-4f5e-9a39-6b0b3a3c9d11")


@functools.lru_cache(maxsize=4)
def _correlation(run_id: str) -> uuid.UUID:
    return uuid.uuid5(_NAMESPACE, run_id)


def _envelope(event: Event, aggregate_id: str, run_id: str, occurred_at: datetime) -> Envelope:
    # envelope_for's fields, with the id and time fixed instead of drawn: built directly, as
    # seeding writes one per task and drawing a random id only to replace it costs a third of it.
    return Envelope(
        id=uuid.uuid5(_NAMESPACE, f"{run_id}/{event.TYPE}/{aggregate_id}"),
        type=event.TYPE,
        version=event.VERSION,
        occurred_at=occurred_at,
        source="api",
        correlation_id=_correlation(run_id),
        aggregate_type=event.AGGREGATE,
        aggregate_id=aggregate_id,
        aggregate_version=1,
        payload=event.model_dump(mode="json"),
    )


async def seed_boards(rows: Sequence[dict[str, Any]], run_id: str, **_: Any) -> list[Envelope]:
    return [
        _envelope(
            BoardCreatedV1(
                board=BoardState(
                    board_id=r["id"], owner_id=r["owner_id"], name=r["name"],
                    auto_apply_hints=r["config"]["auto_apply_hints"],
                    auto_apply_threshold=r["config"]["auto_apply_threshold"],
                    stale_after_days=r["config"]["stale_after_days"], version=1,
                )
            ),
            r["id"], run_id, r["updated_at"],
        )
        for r in rows
    ]  # fmt: skip


async def seed_projects(rows: Sequence[dict[str, Any]], run_id: str, **_: Any) -> list[Envelope]:
    return [
        _envelope(
            ProjectCreatedV1(
                project=ProjectState(
                    project_id=r["id"], board_id=r["board_id"], name=r["name"], description=r["description"],
                    desired_outcome=r["desired_outcome"], status=r["status"], version=1,
                )
            ),
            r["id"], run_id, r["updated_at"],
        )
        for r in rows
    ]  # fmt: skip


async def seed_tags(rows: Sequence[dict[str, Any]], run_id: str, **_: Any) -> list[Envelope]:
    return [
        _envelope(
            TagCreatedV1(tag=TagState(tag_id=r["id"], board_id=r["board_id"], name=r["name"], color=r["color"], version=1)),
            r["id"], run_id, r["updated_at"],
        )
        for r in rows
    ]  # fmt: skip


async def seed_tasks(
    rows: Sequence[dict[str, Any]], run_id: str, *, source: LegacySource, ctx: LegacyContext, **_: Any
) -> list[Envelope]:
    """A task's snapshot names its tags and checklist, read from the same source snapshot."""
    if not rows:
        return []
    s = source.layout.schema
    # Rows come in key order from one contiguous key range: a range scan, not `= ANY(ids)`, whose
    # generic plan compares every checklist row with every id of the batch.
    first, last = rows[0]["id"], rows[-1]["id"]
    tags: dict[str, set[str]] = {}
    for link in await source.fetch(
        f'SELECT "taskId"::text AS task, "tagId"::text AS tag FROM {qualified(s, "TaskTag")} '
        'WHERE "taskId" BETWEEN $1::uuid AND $2::uuid',
        first,
        last,
    ):
        survivor = ctx.tag_survivor.get(link["tag"], link["tag"])
        if survivor in ctx.tag_names and not ctx.is_skipped("tag", survivor):
            tags.setdefault(link["task"], set()).add(ctx.tag_names[survivor])
    checklist: dict[str, list[str]] = {}
    for item in await source.fetch(
        f'SELECT "taskId"::text AS task, title FROM {qualified(s, "ChecklistItem")} '
        'WHERE "taskId" BETWEEN $1::uuid AND $2::uuid ORDER BY "taskId", position, "createdAt", id',
        first,
        last,
    ):
        checklist.setdefault(item["task"], []).append(item["title"])
    return [
        _envelope(TaskSnapshottedV1(task=task_state(r, ctx, sorted(tags.get(r["id"], ())), checklist.get(r["id"], []))),
                  r["id"], run_id, r["updated_at"])
        for r in rows
    ]  # fmt: skip


def task_state(r: dict[str, Any], ctx: LegacyContext, tags: list[str], checklist: list[str]) -> TaskState:
    return TaskState(
        task_id=r["id"], board_id=r["board_id"], owner_id=r["owner_id"], column_id=r["column_id"],
        column_type=ctx.column_types[r["column_id"]],  # type: ignore[arg-type]
        title=r["title"], description=r["description"], context=r["context"], priority=r["priority"],
        duration_minutes=r["duration_minutes"], due_at=r["due_at"], project_id=r["project_id"],
        waiting_for=r["waiting_for"], needs_breakdown=r["needs_breakdown"], is_done=r["is_done"],
        tags=tuple(tags), checklist=tuple(checklist), version=1, updated_at=r["updated_at"],
    )  # fmt: skip

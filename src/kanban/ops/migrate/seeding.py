"""The events that seed the Worker's read model, written to the API outbox with the rows they describe.

Event ids and times are derived from the run and the row, so a resumed run writes exactly the
events an uninterrupted one would.

A seeder returns the outbox rows themselves. Their envelope JSON is written here rather than by
building an `Envelope` and dumping it: every field but the payload is set by this module (no
input to validate), and the payload is the event's own JSON, validated once as the event. The
text is byte for byte what `Envelope(...).model_dump_json()` gives (tests/unit/ops/test_seeding_json.py),
for a third of the CPU: seeding writes one envelope per legacy task.
"""

from __future__ import annotations

import functools
import hashlib
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson

from kanban.contracts.base import Event
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
from kanban.db.types import utcnow
from kanban.messaging.outbox import outbox_row
from kanban.ops.legacy.context import LegacyContext
from kanban.ops.legacy.layout import qualified
from kanban.ops.legacy.source import LegacySource

_NAMESPACE = uuid.UUID("6f7c1c8e-2d0a-4f5e-9a39-6b0b3a3c9d11")
_NAMESPACE_BYTES = _NAMESPACE.bytes

OutboxRows = list[dict[str, Any]]


@functools.lru_cache(maxsize=4)
def _correlation(run_id: str) -> uuid.UUID:
    return uuid.uuid5(_NAMESPACE, run_id)


def event_id(run_id: str, event: Event, aggregate_id: str) -> str:
    """`str(uuid.uuid5(namespace, name))` for the event's name, without the UUID object: RFC 4122's
    version 5 is the SHA-1 of namespace and name with the version and variant bits set. Seeding
    names one event per legacy task, and building and printing a UUID was a fifth of its cost."""
    digest = bytearray(hashlib.sha1(_NAMESPACE_BYTES + f"{run_id}/{event.TYPE}/{aggregate_id}".encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # the RFC 4122 variant
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def seeding_row(
    event: Event, aggregate_id: str, run_id: str, occurred_at: datetime, created_at: datetime
) -> dict[str, Any]:
    """The outbox row of `event`, first of its aggregate (version 1), as `envelope_for` would write it."""
    event_uuid = event_id(run_id, event, aggregate_id)
    envelope = orjson.dumps(
        {
            "id": event_uuid,
            "type": event.TYPE,
            "version": event.VERSION,
            "occurred_at": occurred_at,
            "source": "api",
            "correlation_id": _correlation(run_id),
            "causation_id": None,
            "aggregate_type": event.AGGREGATE,
            "aggregate_id": aggregate_id,
            "aggregate_version": 1,
            "payload": orjson.Fragment(event.model_dump_json()),
        },
        option=orjson.OPT_UTC_Z,  # UTC as "Z", as pydantic writes it
    ).decode()
    return outbox_row(event_uuid, event.TYPE, event.DESTINATION, aggregate_id, envelope, created_at)


async def seed_boards(rows: Sequence[dict[str, Any]], run_id: str, **_: Any) -> OutboxRows:
    now = utcnow()
    return [
        seeding_row(
            BoardCreatedV1(
                board=BoardState(
                    board_id=r["id"], owner_id=r["owner_id"], name=r["name"],
                    auto_apply_hints=r["config"]["auto_apply_hints"],
                    auto_apply_threshold=r["config"]["auto_apply_threshold"],
                    stale_after_days=r["config"]["stale_after_days"], version=1,
                )
            ),
            r["id"], run_id, r["updated_at"], now,
        )
        for r in rows
    ]  # fmt: skip


async def seed_projects(rows: Sequence[dict[str, Any]], run_id: str, **_: Any) -> OutboxRows:
    now = utcnow()
    return [
        seeding_row(
            ProjectCreatedV1(
                project=ProjectState(
                    project_id=r["id"], board_id=r["board_id"], name=r["name"], description=r["description"],
                    desired_outcome=r["desired_outcome"], status=r["status"], version=1,
                )
            ),
            r["id"], run_id, r["updated_at"], now,
        )
        for r in rows
    ]  # fmt: skip


async def seed_tags(rows: Sequence[dict[str, Any]], run_id: str, **_: Any) -> OutboxRows:
    now = utcnow()
    return [
        seeding_row(
            TagCreatedV1(tag=TagState(tag_id=r["id"], board_id=r["board_id"], name=r["name"], color=r["color"], version=1)),
            r["id"], run_id, r["updated_at"], now,
        )
        for r in rows
    ]  # fmt: skip


async def seed_tasks(
    rows: Sequence[dict[str, Any]], run_id: str, *, source: LegacySource, ctx: LegacyContext, **_: Any
) -> OutboxRows:
    """A task's snapshot names its tags and checklist, read from the same source snapshot."""
    if not rows:
        return []
    s = source.layout.schema
    # Rows come in key order from one contiguous key range: a range scan, not `= ANY(ids)`, whose
    # generic plan compares every checklist row with every id of the batch.
    first, last = rows[0]["id"], rows[-1]["id"]
    # One row per task, its tags and its checklist's titles as arrays: far fewer records to decode.
    tags: dict[str, list[str]] = {}
    for link in await source.fetch(
        f'SELECT "taskId"::text AS task, array_agg("tagId"::text) AS tags FROM {qualified(s, "TaskTag")} '
        'WHERE "taskId" BETWEEN $1::uuid AND $2::uuid GROUP BY "taskId"',
        first,
        last,
    ):
        names = {
            ctx.tag_names[survivor]
            for survivor in (ctx.tag_survivor.get(tag, tag) for tag in link["tags"])
            if survivor in ctx.tag_names and not ctx.is_skipped("tag", survivor)
        }
        tags[link["task"]] = sorted(names)
    checklist: dict[str, list[str]] = {
        item["task"]: item["titles"]
        for item in await source.fetch(
            f'SELECT "taskId"::text AS task, array_agg(title ORDER BY position, "createdAt", id) AS titles '
            f'FROM {qualified(s, "ChecklistItem")} WHERE "taskId" BETWEEN $1::uuid AND $2::uuid GROUP BY "taskId"',
            first,
            last,
        )
    }
    now = utcnow()
    return [
        seeding_row(TaskSnapshottedV1(task=task_state(r, ctx, tags.get(r["id"], []), checklist.get(r["id"], []))),
                    r["id"], run_id, r["updated_at"], now)
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

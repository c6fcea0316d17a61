"""SQL for analytics: the board's columns, live tasks and flow events, each in one statement.

Only the columns flow needs are read (no payloads), so a board's whole history is a cheap scan
of the (board_id, created_at) index.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from kanban.api.analytics.flow import FlowEvent, TaskSeed
from kanban.api.errors import NotFound
from kanban.api.tables import boards, columns, task_events, tasks, users


@dataclass(frozen=True)
class ColumnInfo:
    id: str
    name: str
    type: str
    position: int
    wip_limit: int | None


@dataclass(frozen=True)
class TaskInfo:
    id: str
    title: str
    project_id: str | None
    column_id: str
    column_type: str


@dataclass(frozen=True)
class BoardInfo:
    id: str
    timezone: str
    config: dict[str, Any]


async def owned_board_info(conn: AsyncConnection, board_id: str, user_id: str) -> BoardInfo:
    row = (
        await conn.execute(
            select(boards.c.id, boards.c.config, users.c.timezone)
            .join(users, users.c.id == boards.c.owner_id)
            .where(boards.c.id == board_id, boards.c.owner_id == user_id)
        )
    ).first()
    if row is None:
        raise NotFound(f"board {board_id} not found")
    return BoardInfo(row.id, row.timezone, row.config or {})


async def board_columns(conn: AsyncConnection, board_id: str) -> list[ColumnInfo]:
    rows = await conn.execute(
        select(columns.c.id, columns.c.name, columns.c.type, columns.c.position, columns.c.wip_limit)
        .where(columns.c.board_id == board_id)
        .order_by(columns.c.position, columns.c.created_at)
    )
    return [ColumnInfo(*r) for r in rows]


async def live_tasks(conn: AsyncConnection, board_id: str) -> tuple[dict[str, TaskInfo], dict[str, TaskSeed]]:
    rows = await conn.execute(
        select(
            tasks.c.id, tasks.c.title, tasks.c.project_id, tasks.c.column_id, columns.c.type,
            tasks.c.created_at, tasks.c.last_moved_at,
        )
        .join(columns, columns.c.id == tasks.c.column_id)
        .where(tasks.c.board_id == board_id)
    )  # fmt: skip
    info: dict[str, TaskInfo] = {}
    seeds: dict[str, TaskSeed] = {}
    for r in rows:
        info[r[0]] = TaskInfo(r[0], r[1], r[2], r[3], r[4])
        seeds[r[0]] = TaskSeed(r[0], r[5], r[3], r[4], r[6])
    return info, seeds


async def flow_events(
    conn: AsyncConnection, board_id: str, until: datetime, column_types: dict[str, str]
) -> list[FlowEvent]:
    """Placements, retypes and deletions before `until`, oldest first.

    An event written before types were recorded (and whose column was gone at the upgrade) takes
    its column's type now, or stays untyped when the column is gone too (ADR 0022).
    """
    e = task_events.c
    rows = await conn.execute(
        select(e.task_id, e.type, e.created_at, e.from_column_id, e.to_column_id, e.from_column_type, e.to_column_type)
        .where(
            e.board_id == board_id,
            e.created_at < until,
            or_(e.to_column_id.is_not(None), e.to_column_type.is_not(None), e.type == "deleted"),
        )
        .order_by(e.created_at, e.id)
    )
    out = []
    for task_id, kind, at, from_id, to_id, from_type, to_type in rows:
        if to_type is None and to_id is not None:
            to_type = column_types.get(to_id)
        if from_type is None and from_id is not None:
            from_type = column_types.get(from_id)
        out.append(FlowEvent(task_id, kind, at, from_id, to_id, from_type, to_type))
    return out


async def override_events(conn: AsyncConnection, board_id: str, since: datetime, until: datetime) -> list[Any]:
    """Placements in the range that carried a payload (where wipOverride is recorded)."""
    e = task_events.c
    rows = await conn.execute(
        select(e.task_id, e.created_at, e.to_column_id, e.payload)
        .where(e.board_id == board_id, e.created_at >= since, e.created_at < until, e.to_column_id.is_not(None))
        .order_by(e.created_at, e.id)
    )
    return [r for r in rows if isinstance(r.payload, dict) and r.payload.get("wipOverride") is True]

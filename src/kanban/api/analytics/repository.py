"""SQL for analytics: the board's columns, live tasks and flow events, each in one statement.

Only the columns flow needs are read (no payloads), so a board's whole history is a cheap scan
of the (board_id, created_at) index.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import DateTime, Select, func, select, text, type_coerce

from kanban.api.analytics.flow import FlowEvent, TaskSeed
from kanban.api.errors import InvalidInput, NotFound
from kanban.api.tables import FLOW_EVENT_PREDICATE, boards, columns, projects, task_events, tasks, users
from kanban.db.async_core import AsyncConnection


class ColumnInfo(NamedTuple):
    id: str
    name: str
    type: str
    position: int
    wip_limit: int | None


class TaskInfo(NamedTuple):
    id: str
    title: str
    project_id: str | None
    column_id: str
    column_type: str


class BoardInfo(NamedTuple):
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
    return [ColumnInfo(*r) for r in rows.all()]


async def live_tasks(conn: AsyncConnection, board_id: str, column_types: dict[str, str]) -> dict[str, TaskInfo]:
    rows = await conn.execute(
        select(tasks.c.id, tasks.c.title, tasks.c.project_id, tasks.c.column_id).where(tasks.c.board_id == board_id)
    )
    return {r[0]: TaskInfo(r[0], r[1], r[2], r[3], column_types.get(r[3], "")) for r in rows.all()}


async def task_seeds(
    conn: AsyncConnection, task_ids: list[str], column_types: dict[str, str], until: datetime
) -> dict[str, TaskSeed]:
    """What the rows say of tasks the log never placed (data older than the log), created before `until`."""
    seeds: dict[str, TaskSeed] = {}
    for start in range(0, len(task_ids), 500):
        rows = await conn.execute(
            select(tasks.c.id, tasks.c.created_at, tasks.c.column_id, tasks.c.last_moved_at).where(
                tasks.c.id.in_(task_ids[start : start + 500]), tasks.c.created_at < until
            )
        )
        for r in rows.all():
            seeds[r[0]] = TaskSeed(r[0], r[1], r[2], column_types.get(r[2], ""), r[3])
    return seeds


async def flow_events(
    conn: AsyncConnection, board_id: str, until: datetime, column_types: dict[str, str]
) -> list[FlowEvent]:
    """Placements, retypes and deletions before `until`, oldest first.

    An event written before types were recorded (and whose column was gone at the upgrade) takes
    its column's type now, or stays untyped when the column is gone too (ADR 0022).
    """
    e = task_events.c
    # asyncpg already returns aware UTC datetimes: skip UtcDateTime's per-row conversion there
    # (tens of thousands of rows per read); SQLite's stored text needs it.
    at = type_coerce(e.created_at, DateTime(timezone=True)) if conn.dialect.name == "postgresql" else e.created_at
    rows = await conn.execute(
        select(e.task_id, e.type, at, e.to_column_id, e.to_column_type)
        # The predicate verbatim, so both backends match it to the partial index ix_task_events_flow.
        .where(e.board_id == board_id, e.created_at < until, text(f"({FLOW_EVENT_PREDICATE})"))
        # Events of one transaction share a time, but only one of them places the task.
        .order_by(e.created_at)
    )
    return [
        FlowEvent(
            task_id, kind, at, to_id, to_type if to_type is not None or to_id is None else column_types.get(to_id)
        )
        for task_id, kind, at, to_id, to_type in rows.all()
    ]


def flow_marker_query(board_id: str, until: datetime) -> Select[int, Any]:
    """`flow_marker`'s one aggregate row (count, newest), for a caller that joins it to its own read."""
    e = task_events.c
    return select(func.count().label("marker_count"), func.max(e.created_at).label("marker_newest")).where(
        e.board_id == board_id, e.created_at < until, text(f"({FLOW_EVENT_PREDICATE})")
    )


async def flow_marker(conn: AsyncConnection, board_id: str, until: datetime) -> tuple[int, datetime | None]:
    """How many placements, retypes and deletions the board has before `until`, and the newest time:
    one aggregate over the flow index (index-only on PostgreSQL), not the rows."""
    row = (await conn.execute(flow_marker_query(board_id, until))).one()
    return int(row[0]), row[1]


async def override_events(conn: AsyncConnection, board_id: str, since: datetime, until: datetime) -> list[Any]:
    """Placements in the range whose payload records that they exceeded a WIP limit."""
    e = task_events.c
    rows = await conn.execute(
        select(e.task_id, e.created_at, e.to_column_id)
        .where(
            e.board_id == board_id,
            e.created_at >= since,
            e.created_at < until,
            e.to_column_id.is_not(None),
            e.payload["wipOverride"].as_boolean().is_(True),
        )
        .order_by(e.created_at, e.id)
    )
    return list(rows.all())


async def check_project(conn: AsyncConnection, board_id: str, project_id: str) -> None:
    found = await conn.execute(
        select(projects.c.id).where(projects.c.id == project_id, projects.c.board_id == board_id)
    )
    if found.first() is None:
        raise InvalidInput(f"project {project_id} is not on this board", field="projectId")


async def board_timezone(conn: AsyncConnection, board_id: str) -> str:
    found = await conn.execute(
        select(users.c.timezone).join(boards, boards.c.owner_id == users.c.id).where(boards.c.id == board_id)
    )
    return found.scalar_one_or_none() or "UTC"

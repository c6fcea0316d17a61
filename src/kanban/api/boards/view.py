"""The whole board as its response (BoardDetail's camelCase shape), built straight from rows.

A board of 1,000 cards was 1,000 task models validated twice (once built, once checked as the
response) and then encoded: most of its server time. Here four statements return exactly the
fields the response shows (the board with its owner's default and its flow marker, the columns,
the tasks with their checklist progress, the tags), and the rows become plain dicts that `encode`
writes in one call. `tests/integration/api/test_board_view.py` holds the dicts to the models'
shape: validated into BoardDetail and dumped, they are the same JSON, card by card the task's own.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Dialect, Text, case, cast, func, select, true, type_coerce
from sqlalchemy.types import UserDefinedType

from kanban.api.analytics.recent import board_aging, marker_horizon, recent_flow
from kanban.api.analytics.repository import flow_marker_query
from kanban.api.analytics.stale import threshold_days
from kanban.api.boards.schemas import BoardDetail
from kanban.api.errors import NotFound
from kanban.api.tables import boards, checklist_items, columns, tags, task_tags, tasks, users
from kanban.api.tasks.rules import RESTING_TYPES, BoardSettings, lane_context, stale_cutoff
from kanban.db.async_core import AsyncConnection
from kanban.db.types import utcnow

_NO_TAGS: list[dict[str, str]] = []  # shared by the untagged cards: the view is encoded, never changed


class _UtcTime(UserDefinedType[datetime]):
    """UtcDateTime's values read with one call per value, not three: a board reads thousands.
    asyncpg already gives timestamptz as aware UTC datetimes; SQLite gives UtcDateTime's naive UTC text."""

    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "TIMESTAMP"

    def result_processor(self, dialect: Dialect, coltype: object) -> Callable[[Any], datetime | None] | None:
        return _sqlite_time if dialect.name == "sqlite" else None


def _sqlite_time(value: str | None) -> datetime | None:
    if value is None:
        return None
    parsed = datetime.fromisoformat(value)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


class _WireTime(UserDefinedType[Any]):
    """A time the view only sends: SQLite's text rewritten as the wire's ISO 8601 `Z` text by slicing,
    without a datetime in between (a board sends five per card); asyncpg's datetimes pass as they are."""

    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "TIMESTAMP"

    def result_processor(self, dialect: Dialect, coltype: object) -> Callable[[Any], Any] | None:
        return _sqlite_wire_time if dialect.name == "sqlite" else None


def _sqlite_wire_time(value: str | None) -> str | datetime | None:
    """UtcDateTime's naive UTC text (`YYYY-MM-DD HH:MM:SS.ffffff`) as orjson writes the aware datetime
    (`…THH:MM:SS[.ffffff]Z`, no fraction when it is zero); any other shape goes through `_sqlite_time`."""
    if value is None:
        return None
    if len(value) == 26 and value[10] == " " and value[19] == ".":
        date, clock = value[:10], value[11:19]
        fraction = value[19:]
        return f"{date}T{clock}Z" if fraction == ".000000" else f"{date}T{clock}{fraction}Z"
    return _sqlite_time(value)


def _time(column: Any) -> Any:
    return type_coerce(column, _UtcTime()).label(column.name)


def _wire_time(column: Any) -> Any:
    return type_coerce(column, _WireTime()).label(column.name)


# The task columns the response shows, in the order `_task` unpacks them. The metadata comes as its
# JSON text (decoded by orjson, far cheaper than the drivers' json.loads per row), the times as _UtcTime.
_TASK_FIELDS = (
    *(tasks.c[name] for name in ("id", "board_id", "column_id", "project_id", "title", "description", "context")),
    tasks.c.waiting_for,
    _wire_time(tasks.c.due_at),
    *(tasks.c[name] for name in ("priority", "duration_minutes", "needs_breakdown")),
    cast(tasks.c.metadata, Text).label("metadata"),
    *(tasks.c[name] for name in ("is_done", "version", "wip_override")),
    *(_wire_time(tasks.c[name]) for name in ("created_at", "updated_at", "completed_at")),
    _time(tasks.c.last_moved_at),  # compared with the stale cutoff and aged: a datetime
    _wire_time(tasks.c.clarified_at),
    tasks.c.source,
)


def _board_statement(board_id: str, user_id: str) -> Any:
    """The board, its owner's default board and the board's flow marker (is the kept flow current?)."""
    marker = flow_marker_query(board_id, marker_horizon()).subquery()
    return (
        select(boards, users.c.default_board_id, marker.c.marker_count, marker.c.marker_newest)
        .join(users, users.c.id == boards.c.owner_id)
        .join(marker, true())
        .where(boards.c.id == board_id, boards.c.owner_id == user_id)
    )


def _tasks_statement(board_id: str, postgres: bool) -> Any:
    """The board's tasks grouped by column in column order, each with its checklist's (items, done).

    On PostgreSQL each task's progress is a LATERAL aggregate over its own items (an index lookup
    per task): joined as one grouped subquery, the planner, before a new board's first ANALYZE,
    estimates one task and one item and compares every task with every item (27 ms for 1,000
    tasks and 100 items). SQLite has no LATERAL, and its planner does well with the grouped join.
    """
    done = func.sum(case((checklist_items.c.is_done.is_(True), 1), else_=0))
    if postgres:
        progress = (
            select(func.count().label("total"), done.label("done"))
            .where(checklist_items.c.task_id == tasks.c.id)
            .lateral("progress")
        )
        joined = select(*_TASK_FIELDS, progress.c.total, progress.c.done).outerjoin(progress, true())
    else:
        grouped = (
            select(checklist_items.c.task_id, func.count().label("total"), done.label("done"))
            .join(tasks, tasks.c.id == checklist_items.c.task_id)
            .where(tasks.c.board_id == board_id)
            .group_by(checklist_items.c.task_id)
            .subquery()
        )
        joined = select(*_TASK_FIELDS, grouped.c.total, grouped.c.done).outerjoin(
            grouped, grouped.c.task_id == tasks.c.id
        )
    return joined.where(tasks.c.board_id == board_id).order_by(tasks.c.column_id, tasks.c.position, tasks.c.id)


async def _tags_by_task(conn: AsyncConnection, board_id: str) -> dict[str, list[dict[str, str]]]:
    rows = await conn.execute(
        select(task_tags.c.task_id, tags.c.id, tags.c.name, tags.c.color)
        .join(tags, tags.c.id == task_tags.c.tag_id)
        .join(tasks, tasks.c.id == task_tags.c.task_id)
        .where(tasks.c.board_id == board_id)
        .order_by(tags.c.name_key)
    )
    found: dict[str, list[dict[str, str]]] = defaultdict(list)
    for task_id, tag_id, name, color in rows:
        found[task_id].append({"id": tag_id, "name": name, "color": color})
    return found


def _metadata(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:  # what orjson refuses (integers past 64 bits) json reads
        return json.loads(text)


def _task(
    t: Any, column_type: str, index: int, stale: bool, tags_of: dict[str, list[dict[str, str]]]
) -> dict[str, Any]:
    """One TaskOut on the wire, its fields in the model's order, from a row of `_tasks_statement`."""
    (id_, board_id, column_id, project_id, title, description, context, waiting_for, due_at, priority,
     duration_minutes, needs_breakdown, metadata, is_done, version, wip_override, created_at, updated_at,
     completed_at, last_moved_at, clarified_at, source, total, done) = t  # fmt: skip
    return {
        "id": id_, "boardId": board_id, "columnId": column_id, "columnType": column_type,
        "projectId": project_id, "title": title, "description": description, "context": context,
        "waitingFor": waiting_for, "dueAt": due_at, "priority": priority, "durationMinutes": duration_minutes,
        "needsBreakdown": bool(needs_breakdown), "metadata": _metadata(metadata), "isDone": bool(is_done),
        "position": index, "version": version, "wipOverride": bool(wip_override), "stale": stale,
        "tags": tags_of.get(id_, _NO_TAGS), "checklist": {"total": total or 0, "done": int(done or 0)},
        "createdAt": created_at, "updatedAt": updated_at, "completedAt": completed_at,
        "lastMovedAt": last_moved_at, "clarifiedAt": clarified_at, "source": source,
    }  # fmt: skip


def _board_fields(row: Any) -> dict[str, Any]:
    settings = BoardSettings.from_config(row.config)
    return {
        "id": row.id,
        "name": row.name,
        "description": row.description,
        "version": row.version,
        "settings": {
            "staleAfterDays": settings.stale_after_days,
            "autoApplyHints": settings.auto_apply_hints,
            "autoApplyThreshold": settings.auto_apply_threshold,
            "staleBasis": settings.stale_basis,
        },
        "isDefault": row.id == row.default_board_id,
        "createdAt": row.created_at,
        "updatedAt": row.updated_at,
    }


def _column(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "boardId": row.board_id,
        "name": row.name,
        "type": row.type,
        "wipLimit": row.wip_limit,
        "position": row.position,
        "laneContext": lane_context(row.name) if row.type == "CONTEXT" else None,
        "taskCount": 0,
        "createdAt": row.created_at,
        "updatedAt": row.updated_at,
        "tasks": [],
    }


async def board_view(conn: AsyncConnection, board_id: str, user_id: str) -> dict[str, Any]:
    """The board, its columns with their tasks (tags, checklist progress, stale flag) and the cards'
    aging, as BoardDetail's wire dict; NotFound unless `user_id` owns the board."""
    row = (await conn.execute(_board_statement(board_id, user_id))).first()
    if row is None:
        raise NotFound(f"board {board_id} not found")
    column_rows = (
        await conn.execute(
            select(columns).where(columns.c.board_id == board_id).order_by(columns.c.position, columns.c.created_at)
        )
    ).all()
    by_id = {c.id: _column(c) for c in column_rows}
    task_rows = (await conn.execute(_tasks_statement(board_id, conn.dialect.name == "postgresql"))).all()
    tags_of = await _tags_by_task(conn, board_id) if task_rows else {}
    flow = await recent_flow(conn, board_id, (row.marker_count, row.marker_newest))
    cutoff = stale_cutoff(utcnow(), threshold_days(BoardSettings.from_config(row.config), flow))
    cards = []
    for t in task_rows:
        column = by_id[t.column_id]
        column_type, index = column["type"], column["taskCount"]
        column["taskCount"] = index + 1
        stale = column_type not in RESTING_TYPES and t.last_moved_at <= cutoff  # as rules.is_stale
        column["tasks"].append(_task(t, column_type, index, stale, tags_of))
        cards.append((t.id, column_type, t.last_moved_at))
    return {
        **_board_fields(row),
        "columns": list(by_id.values()),
        "aging": board_aging(flow, cards),
    }


def encode(view: dict[str, Any]) -> bytes:
    """The view as JSON, datetimes as ISO 8601 with `Z` (as the models write them)."""
    return orjson.dumps(view, option=orjson.OPT_UTC_Z)


async def load_board(conn: AsyncConnection, board_id: str, user_id: str) -> BoardDetail:
    """The board as a model, for the pages that render it (the JSON route sends `encode`'s bytes)."""
    return BoardDetail.model_validate(await board_view(conn, board_id, user_id))

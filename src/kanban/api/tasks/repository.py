"""SQL for tasks on the unit of work's connection: reading tasks with their details, positions, tags, history.

Reading a set of tasks costs a fixed number of statements (tasks, their tags, their checklist
progress) whatever the number of tasks.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Integer,
    Row,
    Select,
    and_,
    bindparam,
    case,
    false,
    func,
    literal_column,
    null,
    or_,
    select,
    true,
    union_all,
    update,
)

from kanban.api.analytics.stale import stale_after_days
from kanban.api.errors import NotFound
from kanban.api.tables import boards, checklist_items, columns, projects, tags, task_events, task_tags, tasks
from kanban.api.tasks.rules import RANK_STEP, BoardSettings, is_stale
from kanban.api.tasks.schemas import ChecklistProgress, TagRef, TaskEventOut, TaskOut
from kanban.db.async_core import AsyncConnection
from kanban.db.types import utcnow

PRIORITY_RANK = case(
    (tasks.c.priority == "HIGH", 3), (tasks.c.priority == "MEDIUM", 2), (tasks.c.priority == "LOW", 1), else_=0
)


# The order of tasks in a column: by rank, ties (possible only in imported data) by id.
COLUMN_ORDER = (tasks.c.position, tasks.c.id)


def _dense_index() -> Any:
    """How many tasks of the same column come before this one: the task's `position` in responses."""
    earlier = tasks.alias("earlier")
    return (
        select(func.count())
        .select_from(earlier)
        .where(
            earlier.c.column_id == tasks.c.column_id,
            or_(
                earlier.c.position < tasks.c.position,
                and_(earlier.c.position == tasks.c.position, earlier.c.id < tasks.c.id),
            ),
        )
        .scalar_subquery()
    )


def tasks_with_column() -> Select[Any]:
    """Task rows with their column's type, their board's config (for the stale flag) and their dense
    index in the column."""
    return (
        select(
            tasks,
            columns.c.type.label("column_type"),
            boards.c.config.label("board_config"),
            _dense_index().label("dense_position"),
        )
        .join(columns, columns.c.id == tasks.c.column_id)
        .join(boards, boards.c.id == tasks.c.board_id)
    )


async def hydrate(
    conn: AsyncConnection, rows: Sequence[Row[Any]], ids: Sequence[str] | Select[Any], now: datetime | None = None
) -> list[TaskOut]:
    """Task responses for `rows` (from `tasks_with_column`); `ids` selects the same tasks, as a list or a subquery."""
    if not rows:
        return []
    now = now or utcnow()
    tag_rows = await conn.execute(
        select(task_tags.c.task_id, tags.c.id, tags.c.name, tags.c.color)
        .join(tags, tags.c.id == task_tags.c.tag_id)
        .where(task_tags.c.task_id.in_(ids))
        .order_by(tags.c.name_key)
    )
    tags_by_task: dict[str, list[TagRef]] = defaultdict(list)
    for t in tag_rows:
        tags_by_task[t.task_id].append(TagRef(id=t.id, name=t.name, color=t.color))
    progress = {
        task_id: ChecklistProgress(total=total, done=done)
        for task_id, (total, done) in (await checklist_counts(conn, ids)).items()
    }
    thresholds: dict[str, int] = {}
    out = []
    for row in rows:
        m = row._mapping
        if m["board_id"] not in thresholds:
            settings = BoardSettings.from_config(m["board_config"])
            thresholds[m["board_id"]] = await stale_after_days(conn, m["board_id"], settings)
        out.append(
            TaskOut.model_validate(
                {
                    **{k: m[k] for k in m if k not in ("board_config", "dense_position")},
                    "position": int(m["dense_position"]),
                    "is_done": bool(m["is_done"]),
                    "needs_breakdown": bool(m["needs_breakdown"]),
                    "wip_override": bool(m["wip_override"]),
                    "stale": is_stale(m["last_moved_at"], m["column_type"], thresholds[m["board_id"]], now),
                    "tags": tags_by_task.get(m["id"], []),
                    "checklist": progress.get(m["id"], ChecklistProgress()),
                }
            )
        )
    return out


async def checklist_counts(conn: AsyncConnection, ids: Sequence[str] | Select[Any]) -> dict[str, tuple[int, int]]:
    """(items, items done) per task that has a checklist, in one statement."""
    rows = await conn.execute(
        select(
            checklist_items.c.task_id,
            func.count().label("total"),
            func.sum(case((checklist_items.c.is_done.is_(True), 1), else_=0)).label("done"),
        )
        .where(checklist_items.c.task_id.in_(ids))
        .group_by(checklist_items.c.task_id)
    )
    return {r.task_id: (int(r.total), int(r.done or 0)) for r in rows}


async def load_task(conn: AsyncConnection, task_id: str) -> TaskOut:
    rows = (await conn.execute(tasks_with_column().where(tasks.c.id == task_id))).all()
    if not rows:
        raise NotFound(f"task {task_id} not found")
    return (await hydrate(conn, rows, [task_id]))[0]


async def column_task_ids(conn: AsyncConnection, column_id: str) -> list[str]:
    result = await conn.execute(select(tasks.c.id).where(tasks.c.column_id == column_id).order_by(*COLUMN_ORDER))
    return list(result.scalars())


async def count_in_column(conn: AsyncConnection, column_id: str, *, excluding: str | None = None) -> int:
    stmt = select(func.count()).select_from(tasks).where(tasks.c.column_id == column_id)
    if excluding is not None:
        stmt = stmt.where(tasks.c.id != excluding)
    return int((await conn.execute(stmt)).scalar_one())


async def index_in_column(conn: AsyncConnection, task: Row[Any]) -> int:
    """The dense index of `task` (a tasks row) among its column's tasks."""
    earlier = or_(tasks.c.position < task.position, and_(tasks.c.position == task.position, tasks.c.id < task.id))
    stmt = select(func.count()).select_from(tasks).where(tasks.c.column_id == task.column_id, earlier)
    return int((await conn.execute(stmt)).scalar_one())


async def neighbour_ranks(
    conn: AsyncConnection, column_id: str, index: int, count: int, *, excluding: str | None = None
) -> tuple[float | None, float | None]:
    """The ranks on either side of dense place `index` among the column's `count` tasks (but `excluding`)."""
    stmt = select(tasks.c.position).where(tasks.c.column_id == column_id).order_by(*COLUMN_ORDER)
    if excluding is not None:
        stmt = stmt.where(tasks.c.id != excluding)
    if index >= count:  # the end, the common case: the highest rank comes straight from the index
        last = select(func.max(tasks.c.position)).where(tasks.c.column_id == column_id)
        if excluding is not None:
            last = last.where(tasks.c.id != excluding)
        return (await conn.execute(last)).scalar(), None
    if index == 0:
        first = (await conn.execute(stmt.limit(1))).scalar()
        return None, first
    pair = list((await conn.execute(stmt.offset(index - 1).limit(2))).scalars())
    return (pair[0] if pair else None), (pair[1] if len(pair) > 1 else None)


async def renumber_column(conn: AsyncConnection, column_id: str) -> None:
    """Spread the column's ranks evenly again: rare (only once the floats between two neighbours run out)."""
    ids = await column_task_ids(conn, column_id)
    if ids:
        await conn.execute(
            update(tasks).where(tasks.c.id == bindparam("tid")).values(position=bindparam("rank")),
            [{"tid": task_id, "rank": (n + 1) * RANK_STEP} for n, task_id in enumerate(ids)],
        )


async def replace_task_tags(conn: AsyncConnection, task_id: str, tag_ids: Sequence[str]) -> None:
    await conn.execute(task_tags.delete().where(task_tags.c.task_id == task_id))
    if tag_ids:
        await conn.execute(task_tags.insert(), [{"task_id": task_id, "tag_id": t} for t in tag_ids])


async def task_tag_names(conn: AsyncConnection, task_id: str) -> list[str]:
    result = await conn.execute(
        select(tags.c.name).join(task_tags, task_tags.c.tag_id == tags.c.id).where(task_tags.c.task_id == task_id)
    )
    return sorted(result.scalars(), key=str.lower)


async def event_page(
    conn: AsyncConnection, where: ColumnElement[bool], limit: int, offset: int
) -> tuple[list[TaskEventOut], int]:
    """A page of task_events, newest first."""
    total = int((await conn.execute(select(func.count()).select_from(task_events).where(where))).scalar_one())
    rows = await conn.execute(
        select(task_events)
        .where(where)
        .order_by(task_events.c.created_at.desc(), task_events.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [TaskEventOut.model_validate(dict(r._mapping)) for r in rows], total


async def column_on_board(
    conn: AsyncConnection, board_id: str, column_id: str, *, for_update: bool = False
) -> Row[Any] | None:
    """The column, if it is on the board; `for_update` locks it (FOR NO KEY UPDATE on PostgreSQL), which
    is how tasks entering a column take turns for its WIP count and ranks."""
    stmt = select(columns).where(columns.c.id == column_id, columns.c.board_id == board_id)
    if for_update and conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update(key_share=True)
    return (await conn.execute(stmt)).first()


async def column_by_id(conn: AsyncConnection, column_id: str) -> Row[Any]:
    return (await conn.execute(select(columns).where(columns.c.id == column_id))).one()


async def board_columns(conn: AsyncConnection, board_id: str) -> list[Row[Any]]:
    result = await conn.execute(
        select(columns).where(columns.c.board_id == board_id).order_by(columns.c.position, columns.c.created_at)
    )
    return list(result.all())


@dataclass(frozen=True)
class TaskFilter:
    q: str | None = None
    tag: str | None = None
    context: str | None = None
    project_id: str | None = None
    column_type: str | None = None
    due_before: datetime | None = None
    due_after: datetime | None = None
    done: bool | None = None
    sort: str = "position"
    order: str = "asc"
    limit: int = 50
    offset: int = 0


SORT_COLUMNS: dict[str, Any] = {
    "position": None,  # by column position, then the task's position in it
    "dueAt": tasks.c.due_at,
    "createdAt": tasks.c.created_at,
    "updatedAt": tasks.c.updated_at,
    "priority": PRIORITY_RANK,
}


def _conditions(board_id: str, f: TaskFilter) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [tasks.c.board_id == board_id]
    if f.q:
        text = f.q.lower()
        where.append(
            or_(
                func.lower(tasks.c.title).contains(text, autoescape=True),
                func.lower(func.coalesce(tasks.c.description, "")).contains(text, autoescape=True),
            )
        )
    if f.tag:
        where.append(
            tasks.c.id.in_(
                select(task_tags.c.task_id)
                .join(tags, tags.c.id == task_tags.c.tag_id)
                .where(tags.c.board_id == board_id, tags.c.name_key == f.tag.strip().lower())
            )
        )
    if f.context:
        where.append(tasks.c.context == f.context)
    if f.project_id:
        where.append(tasks.c.project_id == f.project_id)
    if f.column_type:
        where.append(columns.c.type == f.column_type)
    if f.due_before:
        where.append(tasks.c.due_at < f.due_before)
    if f.due_after:
        where.append(tasks.c.due_at > f.due_after)
    if f.done is not None:
        where.append(tasks.c.is_done.is_(f.done))
    return where


async def search(conn: AsyncConnection, board_id: str, f: TaskFilter) -> tuple[list[TaskOut], int]:
    where = _conditions(board_id, f)
    total_stmt = select(func.count()).select_from(tasks.join(columns, columns.c.id == tasks.c.column_id)).where(*where)
    total = int((await conn.execute(total_stmt)).scalar_one())
    key = SORT_COLUMNS[f.sort]
    keys = [columns.c.position, tasks.c.position] if key is None else [key]
    ordered = [k.desc() if f.order == "desc" else k.asc() for k in keys]
    if f.sort == "dueAt":  # tasks without a due date go last either way
        ordered.insert(0, tasks.c.due_at.is_(None))
    rows = (
        await conn.execute(
            tasks_with_column().where(*where).order_by(*ordered, tasks.c.id).limit(f.limit).offset(f.offset)
        )
    ).all()
    return await hydrate(conn, rows, [r.id for r in rows]), total


# --- the write path: what a placement reads, in as few statements as the locks allow -----------


# The statements of a create or a move are built once per shape and dialect (their values are bound
# parameters): building a SQLAlchemy expression costs more CPU than sending it, on every request.


def _locking_column(postgres: bool, stmt: Select[Any]) -> Select[Any]:
    """Lock the selected column row (FOR NO KEY UPDATE OF columns on PostgreSQL; SQLite's writer
    already holds the file's one write lock)."""
    if postgres:
        return stmt.with_for_update(of=columns, key_share=True)
    return stmt


def _is_postgres(conn: AsyncConnection) -> bool:
    return conn.dialect.name == "postgresql"


@cache
def _new_task_column_statement(postgres: bool, given_column: bool, given_project: bool) -> Select[Any]:
    board_id: BindParameter[str] = bindparam("board_id")
    project_ok = (
        select(projects.c.id).where(projects.c.id == bindparam("project_id"), projects.c.board_id == board_id).exists()
        if given_project
        else true()
    )
    stmt = (
        select(columns, boards.c.config.label("board_config"), project_ok.label("project_ok"))
        .join(boards, boards.c.id == columns.c.board_id)
        .where(boards.c.id == board_id, boards.c.owner_id == bindparam("user_id"))
    )
    if given_column:
        stmt = stmt.where(columns.c.id == bindparam("column_id"))
    else:
        stmt = stmt.where(columns.c.type == "INPUT").order_by(columns.c.position, columns.c.created_at).limit(1)
    return _locking_column(postgres, stmt)


async def lock_column_for_new_task(
    conn: AsyncConnection, board_id: str, user_id: str, column_id: str | None, project_id: str | None
) -> Row[Any] | None:
    """The column a new task goes to (the given one, else the board's first INPUT column) on the
    user's board, locked, with the board's config and whether `project_id` is on the board: the
    ownership, column and project checks in one statement. None when any of them fails."""
    stmt = _new_task_column_statement(_is_postgres(conn), column_id is not None, project_id is not None)
    params = {"board_id": board_id, "user_id": user_id}
    if column_id is not None:
        params["column_id"] = column_id
    if project_id is not None:
        params["project_id"] = project_id
    return (await conn.execute(stmt, params)).first()


@cache
def _task_column_statement(postgres: bool) -> Select[Any]:
    task_board = select(tasks.c.board_id).where(tasks.c.id == bindparam("task_id")).scalar_subquery()
    stmt = (
        select(columns, boards.c.config.label("board_config"))
        .join(boards, boards.c.id == columns.c.board_id)
        .where(
            columns.c.id == bindparam("column_id"),
            boards.c.owner_id == bindparam("user_id"),
            columns.c.board_id == task_board,
        )
    )
    return _locking_column(postgres, stmt)


async def lock_column_for_task(conn: AsyncConnection, task_id: str, user_id: str, column_id: str) -> Row[Any] | None:
    """The column `column_id`, locked, if it is on the board of the user's task `task_id`, with the
    board's config: ownership and column check in the one statement that takes the column lock."""
    stmt = _task_column_statement(_is_postgres(conn))
    return (await conn.execute(stmt, {"task_id": task_id, "user_id": user_id, "column_id": column_id})).first()


@cache
def _task_row_statement(postgres: bool) -> Select[Any]:
    stmt = select(tasks).where(tasks.c.id == bindparam("task_id"))
    return stmt.with_for_update() if postgres else stmt


async def lock_task_row(conn: AsyncConnection, task_id: str) -> Row[Any] | None:
    """The task's row, locked (FOR UPDATE on PostgreSQL). A single-table read on purpose: after waiting
    for a concurrent move, PostgreSQL re-reads the row as that move left it."""
    return (await conn.execute(_task_row_statement(_is_postgres(conn)), {"task_id": task_id})).first()


@dataclass(frozen=True)
class Room:
    """What placing a task in a column needs to know, read in one statement."""

    others: int  # tasks in the column, the placed task not counted
    last: float | None  # the highest rank among them
    before: float | None  # the ranks at dense places position-1 and position (a requested position)
    after: float | None
    source_type: str | None  # the type of the column the task comes from (a move)
    old_index: int | None  # the task's dense index in the column it comes from (a move)


@cache
def _room_statement(excluding: bool, position: str, moving: bool) -> Select[Any]:
    """The statement of `room_in_column` for one shape: `position` is none, first (0) or between."""
    in_column = [tasks.c.column_id == bindparam("column_id")]
    if excluding:
        in_column.append(tasks.c.id != bindparam("excluding"))
    ranks = select(tasks.c.position).where(*in_column).order_by(*COLUMN_ORDER).limit(1)
    fields: list[Any] = [
        select(func.count()).select_from(tasks).where(*in_column).scalar_subquery().label("others"),
        select(func.max(tasks.c.position)).where(*in_column).scalar_subquery().label("last"),
    ]
    if position != "none":
        fields.append(ranks.offset(bindparam("after_offset", type_=Integer)).scalar_subquery().label("after"))
    if position == "between":
        fields.append(ranks.offset(bindparam("before_offset", type_=Integer)).scalar_subquery().label("before"))
    if moving:
        source_id: BindParameter[str] = bindparam("source_id")
        task_position = bindparam("task_position", type_=tasks.c.position.type)
        earlier = or_(
            tasks.c.position < task_position, and_(tasks.c.position == task_position, tasks.c.id < bindparam("task_id"))
        )
        fields.append(select(columns.c.type).where(columns.c.id == source_id).scalar_subquery().label("source"))
        fields.append(
            select(func.count()).select_from(tasks).where(tasks.c.column_id == source_id, earlier)
            .scalar_subquery().label("old_index")
        )  # fmt: skip
    return select(*fields)


def _position_shape(position: int | None) -> str:
    return "none" if position is None else ("first" if position == 0 else "between")


def _room_params(column_id: str, position: int | None, excluding: str | None, task: Row[Any] | None) -> dict[str, Any]:
    params: dict[str, Any] = {"column_id": column_id}
    if excluding is not None:
        params["excluding"] = excluding
    if position is not None:
        params["after_offset"] = position
        params["before_offset"] = max(position - 1, 0)
    if task is not None:
        params |= {"source_id": task.column_id, "task_position": task.position, "task_id": task.id}
    return params


def _room_of(m: Any) -> Room:
    return Room(
        others=int(m["others"]),
        last=m["last"],
        before=m.get("before"),
        after=m.get("after"),
        source_type=m.get("source"),
        old_index=int(m["old_index"]) if "old_index" in m else None,
    )


async def room_in_column(
    conn: AsyncConnection,
    column_id: str,
    *,
    position: int | None = None,
    excluding: str | None = None,
    task: Row[Any] | None = None,
) -> Room:
    """Count, highest rank and the neighbours' ranks of `position` in the column (but `excluding`),
    and, for a moving `task` (excluded too), its source column's type and its old dense index. Read
    after the column lock, never in the statement that takes it: on PostgreSQL that statement's
    snapshot predates the commit of the lock holder it waited for."""
    excluding = task.id if task is not None else excluding
    stmt = _room_statement(excluding is not None, _position_shape(position), task is not None)
    params = _room_params(column_id, position, excluding, task)
    return _room_of((await conn.execute(stmt, params)).one()._mapping)


@cache
def _room_and_details_statement(position: str) -> Select[Any]:
    """The room of a moving task beside its tags and checklist items: the room's one row joined to
    each of them (or alone, when it has none)."""
    room = _room_statement(True, position, True).subquery("room")
    details = _DETAILS.subquery("details")
    return select(room, details).select_from(room.outerjoin(details, true()))


async def room_and_details(
    conn: AsyncConnection, column_id: str, *, position: int | None, task: Row[Any]
) -> tuple[Room, Details]:
    """`room_in_column` for a moving `task` and its `task_details`, in one statement: both are read
    while the column's lock is held, and each round trip under it is one more the column's other
    moves wait for. (Its tags and checklist are what it has now: a move changes neither.)"""
    params = _room_params(column_id, position, task.id, task)
    rows = (await conn.execute(_room_and_details_statement(_position_shape(position)), params)).all()
    return _room_of(rows[0]._mapping), _details_of([r for r in rows if r.kind is not None])


@dataclass(frozen=True)
class Details:
    """A task's tags and checklist, as its event (names, titles) and its response (refs, progress) need them."""

    tags: list[TagRef]
    checklist_titles: list[str]
    progress: ChecklistProgress


NO_DETAILS = Details([], [], ChecklistProgress())


# Tags and checklist items of one task in one statement (a UNION ALL of the two), built once.
_DETAILS = union_all(
    select(
        literal_column("'tag'").label("kind"), tags.c.name, tags.c.id, tags.c.color, tags.c.name_key.label("key"),
        literal_column("0").label("place"), null().label("created_at"), false().label("is_done"),
    ).join(task_tags, task_tags.c.tag_id == tags.c.id).where(task_tags.c.task_id == bindparam("task_id")),
    select(
        literal_column("'item'"), checklist_items.c.title, checklist_items.c.id, null(), null(),
        checklist_items.c.position, checklist_items.c.created_at, checklist_items.c.is_done,
    ).where(checklist_items.c.task_id == bindparam("task_id")),
)  # fmt: skip


async def task_details(conn: AsyncConnection, task_id: str) -> Details:
    """Tags and checklist items of one task in one statement (a UNION ALL of the two)."""
    return _details_of((await conn.execute(_DETAILS, {"task_id": task_id})).all())


def _details_of(rows: Sequence[Any]) -> Details:
    tag_rows = sorted((r for r in rows if r.kind == "tag"), key=lambda r: r.key)
    items = sorted((r for r in rows if r.kind == "item"), key=lambda r: (r.place, r.created_at))
    return Details(
        tags=[TagRef(id=r.id, name=r.name, color=r.color) for r in tag_rows],
        checklist_titles=[r.name for r in items],
        progress=ChecklistProgress(total=len(items), done=sum(1 for r in items if r.is_done)),
    )


async def task_out(
    conn: AsyncConnection,
    task: dict[str, Any],
    column_type: str,
    index: int,
    board_config: dict[str, Any] | None,
    details: Details,
    now: datetime,
) -> TaskOut:
    """The response for a task just written, from the values written (no read-back)."""
    threshold = await stale_after_days(conn, task["board_id"], BoardSettings.from_config(board_config))
    return TaskOut.model_validate(
        {
            **task,
            "column_type": column_type,
            "position": index,
            "is_done": bool(task["is_done"]),
            "needs_breakdown": bool(task["needs_breakdown"]),
            "wip_override": bool(task["wip_override"]),
            "stale": is_stale(task["last_moved_at"], column_type, threshold, now),
            "tags": details.tags,
            "checklist": details.progress,
        }
    )

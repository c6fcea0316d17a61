"""SQL for tasks on the unit of work's connection: reading tasks with their details, positions, tags, history.

Reading a set of tasks costs a fixed number of statements (tasks, their tags, their checklist
progress) whatever the number of tasks.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, case, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from kanban.api.errors import NotFound
from kanban.api.tables import boards, checklist_items, columns, tags, task_events, task_tags, tasks
from kanban.api.tasks.rules import BoardSettings, is_stale
from kanban.api.tasks.schemas import ChecklistProgress, TagRef, TaskEventOut, TaskOut
from kanban.db.types import utcnow

PRIORITY_RANK = case(
    (tasks.c.priority == "HIGH", 3), (tasks.c.priority == "MEDIUM", 2), (tasks.c.priority == "LOW", 1), else_=0
)


def tasks_with_column() -> Select[Any]:
    """Task rows with their column's type and their board's config (for the stale flag)."""
    return (
        select(tasks, columns.c.type.label("column_type"), boards.c.config.label("board_config"))
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
    out = []
    for row in rows:
        m = row._mapping
        settings = BoardSettings.from_config(m["board_config"])
        out.append(
            TaskOut.model_validate(
                {
                    **{k: m[k] for k in m if k != "board_config"},
                    "is_done": bool(m["is_done"]),
                    "needs_breakdown": bool(m["needs_breakdown"]),
                    "wip_override": bool(m["wip_override"]),
                    "stale": is_stale(m["last_moved_at"], m["column_type"], settings.stale_after_days, now),
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
    result = await conn.execute(
        select(tasks.c.id).where(tasks.c.column_id == column_id).order_by(tasks.c.position, tasks.c.created_at)
    )
    return list(result.scalars())


async def count_in_column(conn: AsyncConnection, column_id: str, *, excluding: str | None = None) -> int:
    stmt = select(func.count()).select_from(tasks).where(tasks.c.column_id == column_id)
    if excluding is not None:
        stmt = stmt.where(tasks.c.id != excluding)
    return int((await conn.execute(stmt)).scalar_one())


async def close_gap(conn: AsyncConnection, column_id: str, position: int) -> None:
    """A task left `position`: the ones after it move up by one (positions stay 0..n-1)."""
    await conn.execute(
        update(tasks)
        .where(tasks.c.column_id == column_id, tasks.c.position > position)
        .values(position=tasks.c.position - 1)
    )


async def open_gap(conn: AsyncConnection, column_id: str, position: int, *, excluding: str) -> None:
    """Make room at `position`: the tasks from there on move down by one."""
    await conn.execute(
        update(tasks)
        .where(tasks.c.column_id == column_id, tasks.c.position >= position, tasks.c.id != excluding)
        .values(position=tasks.c.position + 1)
    )


async def shift_within(conn: AsyncConnection, column_id: str, task_id: str, old: int, new: int) -> None:
    """Move a task from `old` to `new` inside its column; only the tasks in between shift by one."""
    between = (tasks.c.column_id == column_id, tasks.c.id != task_id)
    if new > old:
        await conn.execute(
            update(tasks)
            .where(*between, tasks.c.position > old, tasks.c.position <= new)
            .values(position=tasks.c.position - 1)
        )
    elif new < old:
        await conn.execute(
            update(tasks)
            .where(*between, tasks.c.position >= new, tasks.c.position < old)
            .values(position=tasks.c.position + 1)
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


async def column_on_board(conn: AsyncConnection, board_id: str, column_id: str) -> Row[Any] | None:
    return (
        await conn.execute(select(columns).where(columns.c.id == column_id, columns.c.board_id == board_id))
    ).first()


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

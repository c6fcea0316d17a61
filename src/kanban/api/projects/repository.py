"""Reads and writes of projects, with their open and done task counts; SQL only, no rules."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, Select, case, delete, func, insert, select, update

from kanban.api.tables import projects, tasks
from kanban.db.async_core import AsyncConnection


def _with_counts() -> Select[Any]:
    counts = (
        select(
            tasks.c.project_id,
            func.sum(case((tasks.c.is_done, 0), else_=1)).label("open_tasks"),
            func.sum(case((tasks.c.is_done, 1), else_=0)).label("done_tasks"),
        )
        .where(tasks.c.project_id.is_not(None))
        .group_by(tasks.c.project_id)
        .subquery()
    )
    return select(
        projects,
        func.coalesce(counts.c.open_tasks, 0).label("open_tasks"),
        func.coalesce(counts.c.done_tasks, 0).label("done_tasks"),
    ).outerjoin(counts, counts.c.project_id == projects.c.id)


async def project_with_counts(conn: AsyncConnection, project_id: str) -> Row:
    return (await conn.execute(_with_counts().where(projects.c.id == project_id))).one()


async def board_projects(
    conn: AsyncConnection, board_id: str, *, status: str | None, limit: int, offset: int
) -> tuple[list[Row], int]:
    where = [projects.c.board_id == board_id]
    if status is not None:
        where.append(projects.c.status == status)
    total = (await conn.execute(select(func.count()).select_from(projects).where(*where))).scalar_one()
    stmt = _with_counts().where(*where).order_by(projects.c.created_at, projects.c.id).limit(limit).offset(offset)
    return list((await conn.execute(stmt)).all()), int(total)


async def insert_project(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await conn.execute(insert(projects).values(**values))


async def update_project(conn: AsyncConnection, project_id: str, values: dict[str, Any]) -> None:
    await conn.execute(update(projects).where(projects.c.id == project_id).values(**values))


async def detach_tasks(conn: AsyncConnection, project_id: str) -> list[str]:
    """Set the project of its tasks to null (explicitly: SQLite may run without foreign keys); returns them."""
    stmt = select(tasks.c.id).where(tasks.c.project_id == project_id).order_by(tasks.c.id)
    if conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update()  # tasks first, in id order, then the project: no lock cycle with task edits
    task_ids = list((await conn.execute(stmt)).scalars().all())
    if task_ids:
        await conn.execute(update(tasks).where(tasks.c.project_id == project_id).values(project_id=None))
    return task_ids


async def delete_project(conn: AsyncConnection, project_id: str) -> None:
    await conn.execute(delete(projects).where(projects.c.id == project_id))

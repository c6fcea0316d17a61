"""Reads and writes of tags and task-tag links; SQL only, no rules."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, delete, insert, select, update

from kanban.api.tables import tags, task_tags, tasks
from kanban.db.async_core import AsyncConnection


async def tag_by_id(conn: AsyncConnection, tag_id: str) -> Row:
    return (await conn.execute(select(tags).where(tags.c.id == tag_id))).one()


async def tag_by_name(conn: AsyncConnection, board_id: str, name: str) -> Row | None:
    return (
        await conn.execute(select(tags).where(tags.c.board_id == board_id, tags.c.name_key == name.lower()))
    ).first()


async def board_tags(conn: AsyncConnection, board_id: str) -> list[Row]:
    return list((await conn.execute(select(tags).where(tags.c.board_id == board_id).order_by(tags.c.name_key))).all())


async def update_tag(conn: AsyncConnection, tag_id: str, values: dict[str, Any]) -> None:
    await conn.execute(update(tags).where(tags.c.id == tag_id).values(**values))


async def delete_tag(conn: AsyncConnection, tag_id: str) -> list[str]:
    """Delete the tag and its links (explicitly: SQLite may run without foreign keys); returns the tasks it was on."""
    task_ids = await tasks_with_tag(conn, tag_id)
    await conn.execute(delete(task_tags).where(task_tags.c.tag_id == tag_id))
    await conn.execute(delete(tags).where(tags.c.id == tag_id))
    return task_ids


async def is_attached(conn: AsyncConnection, task_id: str, tag_id: str) -> bool:
    row = await conn.execute(
        select(task_tags.c.tag_id).where(task_tags.c.task_id == task_id, task_tags.c.tag_id == tag_id)
    )
    return row.first() is not None


async def attach(conn: AsyncConnection, task_id: str, tag_id: str) -> None:
    await conn.execute(insert(task_tags).values(task_id=task_id, tag_id=tag_id))


async def detach(conn: AsyncConnection, task_id: str, tag_id: str) -> bool:
    result = await conn.execute(delete(task_tags).where(task_tags.c.task_id == task_id, task_tags.c.tag_id == tag_id))
    return bool(result.rowcount)


async def task_tags_of(conn: AsyncConnection, task_id: str) -> list[Row]:
    return list(
        (
            await conn.execute(
                select(tags)
                .join(task_tags, task_tags.c.tag_id == tags.c.id)
                .where(task_tags.c.task_id == task_id)
                .order_by(tags.c.name_key)
            )
        ).all()
    )


async def tasks_with_tag(conn: AsyncConnection, tag_id: str) -> list[str]:
    stmt = select(task_tags.c.task_id).where(task_tags.c.tag_id == tag_id).order_by(task_tags.c.task_id)
    return list((await conn.execute(stmt)).scalars().all())


async def lock_tasks(conn: AsyncConnection, task_ids: list[str]) -> None:
    """Lock the tasks on PostgreSQL, in id order, before a change that touches several of them."""
    if task_ids and conn.dialect.name == "postgresql":
        await conn.execute(select(tasks.c.id).where(tasks.c.id.in_(task_ids)).order_by(tasks.c.id).with_for_update())

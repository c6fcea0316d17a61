"""Reads and writes of checklist items; SQL only, no rules."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, bindparam, delete, insert, select, update

from kanban.api.tables import boards, checklist_items, tasks
from kanban.db.async_core import AsyncConnection


async def owned_item(conn: AsyncConnection, item_id: str, user_id: str) -> Row | None:
    return (
        await conn.execute(
            select(checklist_items)
            .join(tasks, tasks.c.id == checklist_items.c.task_id)
            .join(boards, boards.c.id == tasks.c.board_id)
            .where(checklist_items.c.id == item_id, boards.c.owner_id == user_id)
        )
    ).first()


async def item_by_id(conn: AsyncConnection, item_id: str) -> Row:
    return (await conn.execute(select(checklist_items).where(checklist_items.c.id == item_id))).one()


async def task_items(conn: AsyncConnection, task_id: str) -> list[Row]:
    stmt = (
        select(checklist_items)
        .where(checklist_items.c.task_id == task_id)
        .order_by(checklist_items.c.position, checklist_items.c.created_at, checklist_items.c.id)
    )
    return list((await conn.execute(stmt)).all())


async def insert_item(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await conn.execute(insert(checklist_items).values(**values))


async def update_item(conn: AsyncConnection, item_id: str, values: dict[str, Any]) -> None:
    await conn.execute(update(checklist_items).where(checklist_items.c.id == item_id).values(**values))


async def delete_item(conn: AsyncConnection, item_id: str) -> None:
    await conn.execute(delete(checklist_items).where(checklist_items.c.id == item_id))


async def set_positions(conn: AsyncConnection, ordered_ids: list[str]) -> None:
    """Positions 0..n-1 in the given order, in one executemany."""
    if not ordered_ids:
        return
    await conn.execute(
        update(checklist_items).where(checklist_items.c.id == bindparam("item_id")).values(position=bindparam("pos")),
        [{"item_id": item_id, "pos": position} for position, item_id in enumerate(ordered_ids)],
    )

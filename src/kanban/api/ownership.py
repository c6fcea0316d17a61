"""Ownership checks: a resource is visible only to its board's owner; to anyone else it does not exist (404)."""

from __future__ import annotations

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncConnection

from kanban.api.errors import NotFound
from kanban.api.tables import boards, columns, tasks


async def owned_board(conn: AsyncConnection, board_id: str, user_id: str, *, for_update: bool = False) -> Row:
    stmt = select(boards).where(boards.c.id == board_id, boards.c.owner_id == user_id)
    if for_update and conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    row = (await conn.execute(stmt)).first()
    if row is None:
        raise NotFound(f"board {board_id} not found")
    return row


async def owned_column(conn: AsyncConnection, column_id: str, user_id: str) -> Row:
    row = (
        await conn.execute(
            select(columns)
            .join(boards, boards.c.id == columns.c.board_id)
            .where(columns.c.id == column_id, boards.c.owner_id == user_id)
        )
    ).first()
    if row is None:
        raise NotFound(f"column {column_id} not found")
    return row


async def owned_task(conn: AsyncConnection, task_id: str, user_id: str, *, for_update: bool = False) -> Row:
    stmt = (
        select(tasks)
        .join(boards, boards.c.id == tasks.c.board_id)
        .where(tasks.c.id == task_id, boards.c.owner_id == user_id)
    )
    if for_update and conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=tasks)
    row = (await conn.execute(stmt)).first()
    if row is None:
        raise NotFound(f"task {task_id} not found")
    return row

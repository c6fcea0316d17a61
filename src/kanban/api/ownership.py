"""Ownership checks: a resource is visible only to its board's owner; to anyone else it does not exist (404)."""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import Row, Select, Table, bindparam, select

from kanban.api.errors import NotFound
from kanban.api.tables import boards, columns, tasks
from kanban.db.async_core import AsyncConnection


async def owned_board(conn: AsyncConnection, board_id: str, user_id: str, *, for_update: bool = False) -> Row:
    """The user's board; `for_update` takes FOR NO KEY UPDATE on PostgreSQL, so board-wide changes take
    turns while inserting rows that reference the board (a key-share lock: task events, tasks) is
    never blocked by it, which would deadlock against a transaction holding a task's row."""
    stmt = select(boards).where(boards.c.id == board_id, boards.c.owner_id == user_id)
    if for_update and conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update(key_share=True)
    row = (await conn.execute(stmt)).first()
    if row is None:
        raise NotFound(f"board {board_id} not found")
    return row


async def owned_on_board(
    conn: AsyncConnection, table: Table, row_id: str, user_id: str, *, label: str, for_update: bool = False
) -> Row:
    """A row of a table that belongs to a board (column, tag, project, rule, template, ...), if the
    board is the user's; NotFound otherwise.

    `for_update` takes FOR NO KEY UPDATE on PostgreSQL: concurrent edits of the row take turns,
    while rows that merely reference it through a foreign key (a key-share lock) are not blocked.
    """
    stmt = (
        select(table)
        .join(boards, boards.c.id == table.c.board_id)
        .where(table.c.id == row_id, boards.c.owner_id == user_id)
    )
    if for_update and conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=table, key_share=True)
    row = (await conn.execute(stmt)).first()
    if row is None:
        raise NotFound(f"{label} {row_id} not found")
    return row


async def owned_column(conn: AsyncConnection, column_id: str, user_id: str) -> Row:
    return await owned_on_board(conn, columns, column_id, user_id, label="column")


@cache
def _owned_task_statement(lock: bool) -> Select[Any]:
    """Built once per lock mode: the most used ownership check (a statement built per call costs
    more CPU than SQLAlchemy's cached compile of it)."""
    stmt = (
        select(tasks)
        .join(boards, boards.c.id == tasks.c.board_id)
        .where(tasks.c.id == bindparam("task_id"), boards.c.owner_id == bindparam("user_id"))
    )
    return stmt.with_for_update(of=tasks) if lock else stmt


async def owned_task(conn: AsyncConnection, task_id: str, user_id: str, *, for_update: bool = False) -> Row:
    stmt = _owned_task_statement(for_update and conn.dialect.name == "postgresql")
    row = (await conn.execute(stmt, {"task_id": task_id, "user_id": user_id})).first()
    if row is None:
        raise NotFound(f"task {task_id} not found")
    return row

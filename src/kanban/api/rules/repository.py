"""Reads and writes of rules, and the ids a rule may refer to; SQL only, no rules of its own."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from kanban.api.tables import columns, projects, rules


async def rule_by_id(conn: AsyncConnection, rule_id: str) -> Row:
    return (await conn.execute(select(rules).where(rules.c.id == rule_id))).one()


async def board_rules(conn: AsyncConnection, board_id: str) -> list[Row]:
    stmt = select(rules).where(rules.c.board_id == board_id).order_by(rules.c.priority, rules.c.created_at, rules.c.id)
    return list((await conn.execute(stmt)).all())


async def board_column_ids(conn: AsyncConnection, board_id: str) -> set[str]:
    return set((await conn.execute(select(columns.c.id).where(columns.c.board_id == board_id))).scalars())


async def board_project_ids(conn: AsyncConnection, board_id: str) -> set[str]:
    return set((await conn.execute(select(projects.c.id).where(projects.c.board_id == board_id))).scalars())


async def insert_rule(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await conn.execute(insert(rules).values(**values))


async def update_rule(conn: AsyncConnection, rule_id: str, values: dict[str, Any]) -> None:
    await conn.execute(update(rules).where(rules.c.id == rule_id).values(**values))


async def delete_rule(conn: AsyncConnection, rule_id: str) -> None:
    await conn.execute(delete(rules).where(rules.c.id == rule_id))

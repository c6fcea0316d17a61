"""Reads and writes of recurring templates; SQL only, no rules."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, delete, insert, select, update

from kanban.api.tables import columns, projects, recurring_templates
from kanban.db.async_core import AsyncConnection


async def template_by_id(conn: AsyncConnection, template_id: str) -> Row:
    return (await conn.execute(select(recurring_templates).where(recurring_templates.c.id == template_id))).one()


async def board_templates(conn: AsyncConnection, board_id: str) -> list[Row]:
    stmt = (
        select(recurring_templates)
        .where(recurring_templates.c.board_id == board_id)
        .order_by(recurring_templates.c.created_at, recurring_templates.c.id)
    )
    return list((await conn.execute(stmt)).all())


async def column_on_board(conn: AsyncConnection, column_id: str, board_id: str) -> bool:
    stmt = select(columns.c.id).where(columns.c.id == column_id, columns.c.board_id == board_id)
    return (await conn.execute(stmt)).first() is not None


async def project_on_board(conn: AsyncConnection, project_id: str, board_id: str) -> bool:
    stmt = select(projects.c.id).where(projects.c.id == project_id, projects.c.board_id == board_id)
    return (await conn.execute(stmt)).first() is not None


async def insert_template(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await conn.execute(insert(recurring_templates).values(**values))


async def update_template(conn: AsyncConnection, template_id: str, values: dict[str, Any]) -> None:
    await conn.execute(update(recurring_templates).where(recurring_templates.c.id == template_id).values(**values))


async def delete_template(conn: AsyncConnection, template_id: str) -> None:
    await conn.execute(delete(recurring_templates).where(recurring_templates.c.id == template_id))

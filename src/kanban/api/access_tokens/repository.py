"""SQL for personal access tokens; only digests are stored."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, select, update

from kanban.api.tables import personal_access_tokens as pats
from kanban.db.async_core import AsyncConnection


async def insert_token(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await conn.execute(pats.insert().values(**values))


async def token_by_id(conn: AsyncConnection, token_id: str) -> Row[Any] | None:
    return (await conn.execute(select(pats).where(pats.c.id == token_id))).first()


async def token_by_digest(conn: AsyncConnection, digest: str) -> Row[Any] | None:
    return (await conn.execute(select(pats).where(pats.c.token_hash == digest))).first()


async def user_tokens(conn: AsyncConnection, user_id: str) -> list[Row[Any]]:
    stmt = select(pats).where(pats.c.user_id == user_id).order_by(pats.c.created_at.desc(), pats.c.id)
    return list((await conn.execute(stmt)).all())


async def update_token(conn: AsyncConnection, token_id: str, values: dict[str, Any]) -> None:
    await conn.execute(update(pats).where(pats.c.id == token_id).values(**values))

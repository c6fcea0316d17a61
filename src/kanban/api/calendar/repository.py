"""SQL for calendar feeds and the tasks they show."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, select, update

from kanban.api.tables import boards, calendar_feeds, tasks, users
from kanban.db.async_core import AsyncConnection
from kanban.db.types import utcnow

MAX_FEED_TASKS = 2000


async def live_feed(conn: AsyncConnection, user_id: str) -> Row[Any] | None:
    stmt = select(calendar_feeds).where(calendar_feeds.c.user_id == user_id, calendar_feeds.c.revoked_at.is_(None))
    return (await conn.execute(stmt)).first()


async def feed_by_digest(conn: AsyncConnection, digest: str) -> Row[Any] | None:
    stmt = (
        select(calendar_feeds, users.c.timezone)
        .join(users, users.c.id == calendar_feeds.c.user_id)
        .where(calendar_feeds.c.token_hash == digest, calendar_feeds.c.revoked_at.is_(None))
    )
    return (await conn.execute(stmt)).first()


async def revoke_feeds(conn: AsyncConnection, user_id: str) -> int:
    result = await conn.execute(
        update(calendar_feeds)
        .where(calendar_feeds.c.user_id == user_id, calendar_feeds.c.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return int(result.rowcount or 0)


async def insert_feed(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await conn.execute(calendar_feeds.insert().values(**values))


async def due_tasks(conn: AsyncConnection, user_id: str) -> list[Any]:
    """The user's open tasks with a due date, on every board of theirs, soonest first."""
    stmt = (
        select(
            tasks.c.id,
            tasks.c.title,
            tasks.c.description,
            tasks.c.due_at,
            tasks.c.duration_minutes,
            tasks.c.updated_at,
            boards.c.name.label("board_name"),
        )  # fmt: skip
        .join(boards, boards.c.id == tasks.c.board_id)
        .where(boards.c.owner_id == user_id, tasks.c.due_at.is_not(None), tasks.c.is_done.is_(False))
        .order_by(tasks.c.due_at)
        .limit(MAX_FEED_TASKS)
    )
    return list((await conn.execute(stmt)).all())

"""SQL for the digest: subscriptions, the once-a-day claim, what a user's digest says, action links."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, func, select, update

from kanban.api.tables import (
    boards,
    columns,
    digest_deliveries,
    digest_rule_items,
    digest_subscriptions,
    email_action_tokens,
    hints,
    tasks,
    users,
)
from kanban.db.async_core import AsyncConnection
from kanban.db.types import utcnow


async def subscription(conn: AsyncConnection, user_id: str) -> Row[Any] | None:
    stmt = select(digest_subscriptions).where(digest_subscriptions.c.user_id == user_id)
    return (await conn.execute(stmt)).first()


async def save_subscription(conn: AsyncConnection, user_id: str, enabled: bool, hour: int) -> None:
    now = utcnow()
    if await subscription(conn, user_id) is None:
        await conn.execute(
            digest_subscriptions.insert().values(
                user_id=user_id, enabled=enabled, hour=hour, created_at=now, updated_at=now
            )
        )
    else:
        await conn.execute(
            update(digest_subscriptions)
            .where(digest_subscriptions.c.user_id == user_id)
            .values(enabled=enabled, hour=hour, updated_at=now)
        )


async def subscribers(conn: AsyncConnection) -> list[Any]:
    stmt = (
        select(digest_subscriptions.c.user_id, digest_subscriptions.c.hour, users.c.email, users.c.timezone)
        .join(users, users.c.id == digest_subscriptions.c.user_id)
        .where(digest_subscriptions.c.enabled.is_(True))
    )
    return list((await conn.execute(stmt)).all())


async def delivered(conn: AsyncConnection, user_id: str, day: str) -> bool:
    stmt = select(digest_deliveries.c.day).where(digest_deliveries.c.user_id == user_id, digest_deliveries.c.day == day)
    return (await conn.execute(stmt)).first() is not None


async def claim_delivery(conn: AsyncConnection, user_id: str, day: str) -> None:
    """Raises IntegrityError when another replica (or an earlier run) has claimed the day."""
    await conn.execute(digest_deliveries.insert().values(user_id=user_id, day=day, claimed_at=utcnow()))


async def mark_sent(conn: AsyncConnection, user_id: str, day: str) -> None:
    await conn.execute(
        update(digest_deliveries)
        .where(digest_deliveries.c.user_id == user_id, digest_deliveries.c.day == day)
        .values(sent_at=utcnow())
    )


async def open_tasks(conn: AsyncConnection, user_id: str) -> list[Any]:
    """The user's tasks that are not done or archived, with their column type and board settings."""
    stmt = (
        select(
            tasks.c.id,
            tasks.c.title,
            tasks.c.due_at,
            tasks.c.created_at,
            tasks.c.last_moved_at,
            tasks.c.waiting_for,
            columns.c.type.label("column_type"),
            boards.c.config.label("board_config"),
        )  # fmt: skip
        .join(columns, columns.c.id == tasks.c.column_id)
        .join(boards, boards.c.id == tasks.c.board_id)
        .where(boards.c.owner_id == user_id, tasks.c.is_done.is_(False), columns.c.type.not_in(("DONE", "ARCHIVE")))
        .order_by(tasks.c.created_at)
    )
    return list((await conn.execute(stmt)).all())


async def hints_waiting(conn: AsyncConnection, user_id: str) -> int:
    stmt = (
        select(func.count())
        .select_from(hints)
        .join(tasks, tasks.c.id == hints.c.task_id)
        .join(boards, boards.c.id == tasks.c.board_id)
        .where(boards.c.owner_id == user_id, hints.c.status == "proposed")
    )
    return int((await conn.execute(stmt)).scalar_one())


async def insert_action(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await conn.execute(email_action_tokens.insert().values(**values))


async def action_by_digest(conn: AsyncConnection, digest: str) -> Row[Any] | None:
    stmt = select(email_action_tokens).where(email_action_tokens.c.token == digest)
    return (await conn.execute(stmt)).first()


async def use_action(conn: AsyncConnection, action_id: str, now: datetime) -> bool:
    """Mark the link used; False when it already was (a concurrent click): single use."""
    result = await conn.execute(
        update(email_action_tokens)
        .where(email_action_tokens.c.id == action_id, email_action_tokens.c.used_at.is_(None))
        .values(used_at=now)
    )
    return bool(result.rowcount)


async def insert_rule_item(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await conn.execute(digest_rule_items.insert().values(**values))


async def rule_items(conn: AsyncConnection, user_id: str) -> list[Row[Any]]:
    stmt = (
        select(digest_rule_items)
        .where(digest_rule_items.c.user_id == user_id)
        .order_by(digest_rule_items.c.created_at, digest_rule_items.c.id)
    )
    return list((await conn.execute(stmt)).all())


async def clear_rule_items(conn: AsyncConnection, item_ids: list[str]) -> None:
    if item_ids:
        await conn.execute(delete(digest_rule_items).where(digest_rule_items.c.id.in_(item_ids)))


async def prune_rule_items(conn: AsyncConnection, before: datetime) -> None:
    """Items no digest carried (the digest is off, or SMTP is not set up) do not pile up for ever."""
    await conn.execute(delete(digest_rule_items).where(digest_rule_items.c.created_at < before))

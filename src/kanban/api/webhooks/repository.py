"""SQL for webhooks and their deliveries; no rules of its own."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, func, or_, select, update

from kanban.api.tables import rule_runs, webhooks
from kanban.api.tables import webhook_deliveries as deliveries
from kanban.db.async_core import AsyncConnection


async def insert_webhook(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await conn.execute(webhooks.insert().values(**values))


async def webhook_by_id(conn: AsyncConnection, webhook_id: str) -> Row[Any] | None:
    return (await conn.execute(select(webhooks).where(webhooks.c.id == webhook_id))).first()


async def user_webhooks(conn: AsyncConnection, user_id: str) -> list[Row[Any]]:
    stmt = select(webhooks).where(webhooks.c.user_id == user_id).order_by(webhooks.c.created_at, webhooks.c.id)
    return list((await conn.execute(stmt)).all())


async def user_webhook_ids(conn: AsyncConnection, user_id: str) -> set[str]:
    return set((await conn.execute(select(webhooks.c.id).where(webhooks.c.user_id == user_id))).scalars())


async def delete_webhook(conn: AsyncConnection, webhook_id: str) -> None:
    await conn.execute(delete(deliveries).where(deliveries.c.webhook_id == webhook_id))
    await conn.execute(delete(webhooks).where(webhooks.c.id == webhook_id))


async def insert_delivery(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await conn.execute(deliveries.insert().values(**values))


async def deliveries_page(conn: AsyncConnection, webhook_id: str, limit: int, offset: int) -> tuple[list[Row], int]:
    where = deliveries.c.webhook_id == webhook_id
    total = int((await conn.execute(select(func.count()).select_from(deliveries).where(where))).scalar_one())
    rows = await conn.execute(
        select(deliveries).where(where).order_by(deliveries.c.created_at.desc(), deliveries.c.id.desc())
        .limit(limit).offset(offset)
    )  # fmt: skip
    return list(rows.all()), total


async def due_delivery_ids(conn: AsyncConnection, now: datetime, limit: int) -> list[str]:
    stmt = (
        select(deliveries.c.id)
        .where(deliveries.c.status == "pending", deliveries.c.next_attempt_at <= now, _unclaimed(now))
        .order_by(deliveries.c.next_attempt_at, deliveries.c.id)
        .limit(limit)
    )
    return list((await conn.execute(stmt)).scalars())


def _unclaimed(now: datetime) -> Any:
    return or_(deliveries.c.claimed_until.is_(None), deliveries.c.claimed_until < now)


async def claim_delivery(conn: AsyncConnection, delivery_id: str, now: datetime, until: datetime) -> bool:
    """Take the delivery for one attempt; False when another sender has it or it is no longer pending."""
    result = await conn.execute(
        update(deliveries)
        .where(deliveries.c.id == delivery_id, deliveries.c.status == "pending", _unclaimed(now))
        .values(claimed_until=until)
    )
    return bool(result.rowcount)


async def delivery_with_webhook(conn: AsyncConnection, delivery_id: str) -> Row[Any] | None:
    stmt = (
        select(deliveries, webhooks.c.url, webhooks.c.secret, webhooks.c.name.label("webhook_name"))
        .join(webhooks, webhooks.c.id == deliveries.c.webhook_id)
        .where(deliveries.c.id == delivery_id)
    )
    return (await conn.execute(stmt)).first()


async def settle_delivery(
    conn: AsyncConnection, delivery_id: str, claimed_until: datetime, values: dict[str, Any]
) -> bool:
    """Record an attempt's outcome if the claim `claimed_until` is still the delivery's; False otherwise."""
    result = await conn.execute(
        update(deliveries)
        .where(deliveries.c.id == delivery_id, deliveries.c.claimed_until == claimed_until)
        .values(**values)
    )
    return bool(result.rowcount)


async def note_on_run(conn: AsyncConnection, run_id: str, reason: str) -> None:
    """Give the rule run that queued a delivery the reason it failed, so the rule's run log shows it."""
    detail = await conn.scalar(select(rule_runs.c.detail).where(rule_runs.c.id == run_id))
    if detail is not None:
        await conn.execute(
            update(rule_runs).where(rule_runs.c.id == run_id).values(detail={**detail, "reason": reason})
        )

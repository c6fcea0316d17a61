"""Deliveries: written with the rule run that asks for one, then sent, retried and settled by the loop.

At least once: a delivery is claimed for one attempt (a short `claimed_until`, committed before the
POST), sent, and settled in a transaction of its own. A sender that dies mid-attempt leaves a claim
that expires, and the next round sends the same delivery (same id) again, so receivers de-duplicate
on X-Kanban-Delivery. Two replicas never hold one claim at once.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from kanban.api.webhooks import repository as repo
from kanban.api.webhooks.sender import Attempt, WebhookSender
from kanban.api.webhooks.signing import DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, signature
from kanban.db.async_core import AsyncConnection, AsyncEngine
from kanban.db.engine import read_only_connection
from kanban.db.types import new_id, utcnow
from kanban.messaging.backoff import Backoff
from kanban.messaging.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)
EVENT_TYPE = "rule.notification"


@dataclass(frozen=True)
class DeliveryPolicy:
    max_attempts: int = 6
    # 30 s, 1 min, 2 min, ... (with jitter), at most an hour apart.
    backoff: Backoff = Backoff(base_seconds=30.0, max_seconds=3600.0)
    # Longer than one attempt may take (SendLimits.total_seconds), so a live attempt keeps its claim.
    claim: timedelta = timedelta(seconds=60)
    per_round: int = 50
    concurrency: int = 4


async def new_delivery(
    conn: AsyncConnection, *, webhook_id: str, user_id: str, rule_id: str | None, run_id: str | None,
    payload: dict[str, Any], now: datetime,
) -> str:  # fmt: skip
    """Queue one delivery (inside the caller's transaction); its id is in the body and the header."""
    delivery_id = new_id()
    await repo.insert_delivery(
        conn,
        {"id": delivery_id, "webhook_id": webhook_id, "user_id": user_id, "rule_id": rule_id, "run_id": run_id,
         "payload": {"deliveryId": delivery_id, "type": EVENT_TYPE, **payload}, "status": "pending", "attempts": 0,
         "next_attempt_at": now, "created_at": now},
    )  # fmt: skip
    return delivery_id


def body_of(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


async def deliver_due(
    engine: AsyncEngine, new_unit_of_work: Callable[[], UnitOfWork], sender: WebhookSender,
    policy: DeliveryPolicy = DeliveryPolicy(), now: datetime | None = None,
) -> int:  # fmt: skip
    """One round: attempt every due delivery once, a few at a time; returns how many were delivered.

    `now` fixes the clock (tests step through the backoff with it); otherwise each attempt reads the
    time when it claims, since a round of slow receivers lasts longer than a claim.
    """
    clock: Callable[[], datetime] = (lambda: now) if now is not None else utcnow
    async with read_only_connection(engine) as conn:
        due = await repo.due_delivery_ids(conn, clock(), policy.per_round)
    # A slow receiver holds one slot, not the whole round.
    gate = asyncio.Semaphore(policy.concurrency)

    async def attempt(delivery_id: str) -> bool:
        async with gate:
            return await _attempt(new_unit_of_work, sender, policy, delivery_id, clock)

    return sum(await asyncio.gather(*(attempt(d) for d in due)))


async def _attempt(
    new_unit_of_work: Callable[[], UnitOfWork], sender: WebhookSender, policy: DeliveryPolicy, delivery_id: str,
    clock: Callable[[], datetime],
) -> bool:  # fmt: skip
    now = clock()
    until = now + policy.claim
    async with new_unit_of_work() as uow:
        claimed = await repo.claim_delivery(uow.conn, delivery_id, now, until)
        row = await repo.delivery_with_webhook(uow.conn, delivery_id) if claimed else None
        await uow.commit()
    if row is None:
        return False  # another sender has it, or it was settled meanwhile
    body = body_of(row.payload)
    headers = {
        SIGNATURE_HEADER: signature(row.secret, int(now.timestamp()), body),
        DELIVERY_HEADER: row.id, EVENT_HEADER: EVENT_TYPE,
    }  # fmt: skip
    outcome = await sender.post(row.url, body, headers)
    async with new_unit_of_work() as uow:
        await _settle(uow, row, until, outcome, policy, clock())
        await uow.commit()
    return outcome.delivered


async def _settle(
    uow: UnitOfWork, row: Any, until: datetime, attempt: Attempt, policy: DeliveryPolicy, now: datetime
) -> None:
    attempts = row.attempts + 1
    values: dict[str, Any] = {
        "attempts": attempts, "claimed_until": None, "last_status": attempt.status, "last_error": attempt.error,
    }  # fmt: skip
    if attempt.delivered:
        values.update(status="delivered", delivered_at=now)
    elif attempt.retryable and attempts < policy.max_attempts:
        values["next_attempt_at"] = now + timedelta(seconds=policy.backoff.delay(attempts))
    else:
        values["status"] = "failed"
    # Only while the claim is still ours: an attempt that outlived it leaves the row to its new sender.
    if not await repo.settle_delivery(uow.conn, row.id, until, values):
        return
    if values.get("status") == "failed":
        reason = f"webhook '{row.webhook_name}': delivery {row.id} failed after {attempts} attempt(s): {attempt.error}"
        log.warning("%s", reason)  # names and ids only: never the URL (it may hold a token) nor the secret
        if row.run_id is not None:
            await repo.note_on_run(uow.conn, row.run_id, reason)

"""Webhook commands: register (the secret is returned once), list, delete; and a webhook's deliveries.

The URL is checked on registration as it will be before every delivery (scheme, no credentials,
every address the host resolves to allowed), so a refused target is a 422 naming `url`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row

from kanban.api.errors import InvalidInput, NotFound
from kanban.api.security.tokens import new_opaque_token
from kanban.api.webhooks import repository as repo
from kanban.api.webhooks.schemas import CreatedWebhookOut, DeliveryOut, WebhookOut
from kanban.api.webhooks.sender import WebhookSender
from kanban.api.webhooks.target import BadTarget, vetted_target
from kanban.db.types import new_id, utcnow
from kanban.messaging.unit_of_work import UnitOfWork

SECRET_PREFIX = "whsec_"


@dataclass(frozen=True)
class CreateWebhook:
    user_id: str
    name: str
    url: str


def webhook_out(row: Row[Any]) -> WebhookOut:
    return WebhookOut(id=row.id, name=row.name, url=row.url, created_at=row.created_at)


def delivery_out(row: Row[Any]) -> DeliveryOut:
    pending = row.status == "pending"
    return DeliveryOut(
        id=row.id, webhook_id=row.webhook_id, rule_id=row.rule_id, status=row.status, attempts=row.attempts,
        next_attempt_at=row.next_attempt_at if pending else None, last_status=row.last_status,
        last_error=row.last_error, created_at=row.created_at, delivered_at=row.delivered_at, payload=row.payload,
    )  # fmt: skip


async def create_webhook(cmd: CreateWebhook, sender: WebhookSender, uow: UnitOfWork) -> CreatedWebhookOut:
    try:
        await vetted_target(cmd.url, sender.policy, sender.resolver)
    except BadTarget as exc:
        raise InvalidInput(f"the URL {exc}", field="url") from None
    secret = SECRET_PREFIX + new_opaque_token()
    webhook_id = new_id()
    await repo.insert_webhook(
        uow.conn,
        {"id": webhook_id, "user_id": cmd.user_id, "name": cmd.name, "url": cmd.url, "secret": secret,
         "created_at": utcnow()},
    )  # fmt: skip
    row = await _owned(uow, webhook_id, cmd.user_id)
    await uow.commit()
    return CreatedWebhookOut(**webhook_out(row).model_dump(), secret=secret)


async def _owned(uow: UnitOfWork, webhook_id: str, user_id: str) -> Row[Any]:
    row = await repo.webhook_by_id(uow.conn, webhook_id)
    if row is None or row.user_id != user_id:
        raise NotFound(f"webhook {webhook_id} not found")
    return row


async def list_webhooks(user_id: str, uow: UnitOfWork) -> list[WebhookOut]:
    return [webhook_out(row) for row in await repo.user_webhooks(uow.conn, user_id)]


async def delete_webhook(webhook_id: str, user_id: str, uow: UnitOfWork) -> None:
    """Its pending deliveries go with it; a rule that still names it fails visibly in its run log."""
    row = await _owned(uow, webhook_id, user_id)
    await repo.delete_webhook(uow.conn, row.id)
    await uow.commit()


async def list_deliveries(
    webhook_id: str, user_id: str, limit: int, offset: int, uow: UnitOfWork
) -> tuple[list[DeliveryOut], int]:
    row = await _owned(uow, webhook_id, user_id)
    rows, total = await repo.deliveries_page(uow.conn, row.id, limit, offset)
    return [delivery_out(r) for r in rows], total

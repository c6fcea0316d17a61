"""Digest commands: the subscription, sending today's digests (at most one per user and day), the links.

A digest is claimed (a row per user and local day) and committed before it is sent, so replicas
and restarts never send two; a crash between the claim and the send skips that day's digest
(at most once, by design). Each due task gets a done and a snooze link: a random 256-bit token,
only its digest stored, single use, expiring after LINK_HOURS.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Row
from sqlalchemy.exc import IntegrityError

from kanban.api.capture.parser import END_OF_DAY
from kanban.api.capture.repository import user_timezone
from kanban.api.digest import repository as repo
from kanban.api.digest.content import Digest, DigestItem, RuleNotice, build_digest
from kanban.api.digest.mailer import Mailer
from kanban.api.digest.pages import digest_html, digest_text
from kanban.api.errors import DomainError, NotFound
from kanban.api.ownership import owned_task
from kanban.api.security.tokens import new_opaque_token, token_digest
from kanban.api.tasks import repository as task_repo
from kanban.api.tasks.handlers import MoveTask, UpdateTask, first_column_of_type, move_task, update_task
from kanban.api.tasks.schemas import UpdateTaskRequest
from kanban.api.templates.rrule import wall_time_to_utc
from kanban.db.async_core import AsyncEngine
from kanban.db.engine import read_only_connection
from kanban.db.types import new_id, utcnow
from kanban.messaging.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)
LINK_HOURS = 48
ACTIONS = ("complete", "snooze")


class LinkGone(DomainError):
    """The link was used already or has expired."""

    status = 410
    title = "Link no longer valid"


@dataclass(frozen=True)
class DigestLinks:
    public_url: str
    secret: str

    def action(self, token: str) -> str:
        return f"{self.public_url}/api/v1/mail-actions/{token}"

    def unsubscribe(self, user_id: str) -> str:
        return f"{self.public_url}/api/v1/digest/unsubscribe/{unsubscribe_token(user_id, self.secret)}"


def unsubscribe_token(user_id: str, secret: str) -> str:
    """The user id and an HMAC of it: an unsubscribe link needs no row and cannot be forged."""
    mac = hmac.new(secret.encode(), f"digest-unsubscribe:{user_id}".encode(), hashlib.sha256).hexdigest()[:32]
    return f"{user_id}.{mac}"


def user_of_unsubscribe_token(token: str, secret: str) -> str:
    user_id, _, _ = token.partition(".")
    if not user_id or not hmac.compare_digest(unsubscribe_token(user_id, secret).encode(), token.encode()):
        raise NotFound("no such unsubscribe link")
    return user_id


def zone_of(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


# --- the subscription ----------------------------------------------------------------------


async def get_subscription(user_id: str, uow: UnitOfWork) -> tuple[bool, int]:
    row = await repo.subscription(uow.conn, user_id)
    return (bool(row.enabled), int(row.hour)) if row is not None else (False, 7)


async def set_subscription(user_id: str, enabled: bool, hour: int, uow: UnitOfWork) -> None:
    await repo.save_subscription(uow.conn, user_id, enabled, hour)
    await uow.commit()


async def unsubscribe(token: str, secret: str, uow: UnitOfWork) -> None:
    user_id = user_of_unsubscribe_token(token, secret)
    _, hour = await get_subscription(user_id, uow)
    await set_subscription(user_id, False, hour, uow)


# --- sending -------------------------------------------------------------------------------


async def run_digests(
    engine: AsyncEngine, new_unit_of_work: Callable[[], UnitOfWork], mailer: Mailer, sender: str,
    links: DigestLinks, now: datetime | None = None,
) -> int:  # fmt: skip
    """Send every digest whose hour has come today (in its user's zone) and that is not sent yet."""
    now = now or utcnow()
    async with read_only_connection(engine) as conn:
        due = []
        for sub in await repo.subscribers(conn):
            local = now.astimezone(zone_of(sub.timezone))
            if local.hour >= sub.hour and not await repo.delivered(conn, sub.user_id, local.date().isoformat()):
                due.append(sub)
        await conn.rollback()
    sent = 0
    for sub in due:
        zone = zone_of(sub.timezone)
        async with new_unit_of_work() as uow:
            day = now.astimezone(zone).date().isoformat()
            try:
                await repo.claim_delivery(uow.conn, sub.user_id, day)
            except IntegrityError:
                continue  # another replica (or an earlier round) has this user's day
            digest = await _compose(uow, sub.user_id, now, zone, links)
            await uow.commit()
        if digest.empty:
            continue  # nothing to say: the day is claimed, no mail
        message = _message(digest, zone, sender, sub.email, links.unsubscribe(sub.user_id))
        try:
            await mailer.send(message)
        except Exception:  # noqa: BLE001 - one failed send must not stop the others; at most once
            log.exception("digest for user %s on %s: send failed", sub.user_id, day)
            continue
        async with new_unit_of_work() as uow:
            await repo.mark_sent(uow.conn, sub.user_id, day)
            # Only the items this digest carried: a rule may have added one since it was composed.
            await repo.clear_rule_items(uow.conn, [n.id for n in digest.from_rules])
            await uow.commit()
        sent += 1
    return sent


async def _compose(uow: UnitOfWork, user_id: str, now: datetime, zone: ZoneInfo, links: DigestLinks) -> Digest:
    rows = await repo.open_tasks(uow.conn, user_id)
    digest = build_digest(rows, await repo.hints_waiting(uow.conn, user_id), now, zone)
    digest.from_rules = [
        RuleNotice(r.id, r.rule_name, r.task_title, r.message) for r in await repo.rule_items(uow.conn, user_id)
    ]
    for section in (digest.due, digest.follow_ups):
        for n, item in enumerate(section):
            section[n] = DigestItem(
                item.task_id, item.title, item.due_at,
                done_url=links.action(await _new_link(uow, user_id, item.task_id, "complete", now)),
                snooze_url=links.action(await _new_link(uow, user_id, item.task_id, "snooze", now)),
            )  # fmt: skip
    return digest


async def _new_link(uow: UnitOfWork, user_id: str, task_id: str, action: str, now: datetime) -> str:
    token = new_opaque_token()
    await repo.insert_action(
        uow.conn,
        {"id": new_id(), "task_id": task_id, "user_id": user_id, "token": token_digest(token), "action": action,
         "expires_at": now + timedelta(hours=LINK_HOURS), "created_at": now},
    )  # fmt: skip
    return token


def _message(digest: Digest, zone: ZoneInfo, sender: str, to: str, unsubscribe_url: str) -> EmailMessage:
    message = EmailMessage()
    from_rules = f", {len(digest.from_rules)} from your rules" if digest.from_rules else ""
    message["Subject"] = f"Your day: {len(digest.due)} due, {digest.inbox_count} in the Inbox{from_rules}"
    message["From"] = sender
    message["To"] = to
    message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(digest_text(digest, zone, unsubscribe_url))
    message.add_alternative(digest_html(digest, zone, unsubscribe_url), subtype="html")
    return message


# --- the links -----------------------------------------------------------------------------


async def open_link(token: str, uow: UnitOfWork, now: datetime | None = None) -> tuple[Row[Any], str]:
    """The link's row and its task's title, if it can still be used (GET shows a confirm button)."""
    row = await repo.action_by_digest(uow.conn, token_digest(token))
    if row is None:
        raise NotFound("no such link")
    if row.used_at is not None or row.expires_at <= (now or utcnow()):
        raise LinkGone("this link was used already or has expired; open the app instead")
    task = await owned_task(uow.conn, row.task_id, row.user_id)
    return row, str(task.title)


async def use_link(token: str, uow: UnitOfWork, now: datetime | None = None) -> tuple[str, str]:
    """Do what the link says, once; returns (action, task title)."""
    now = now or utcnow()
    row, title = await open_link(token, uow, now)
    if not await repo.use_action(uow.conn, row.id, now):
        raise LinkGone("this link was used already")
    if row.action == "complete":
        task = await owned_task(uow.conn, row.task_id, row.user_id)
        done = await first_column_of_type(uow.conn, task.board_id, "DONE")
        await move_task(MoveTask(user_id=row.user_id, task_id=row.task_id, column_id=done.id), uow)
    else:
        await update_task(
            UpdateTask(row.user_id, row.task_id, UpdateTaskRequest(due_at=await _snoozed(uow, row, now))), uow
        )
    return str(row.action), title


async def _snoozed(uow: UnitOfWork, row: Row[Any], now: datetime) -> datetime:
    """A day later than it was due, or the end of tomorrow (user's zone) for a task without a due date."""
    task = await task_repo.load_task(uow.conn, row.task_id)
    if task.due_at is not None:
        return max(task.due_at, now) + timedelta(days=1)
    _, zone = await user_timezone(uow.conn, row.user_id)
    tomorrow = now.astimezone(zone).date() + timedelta(days=1)
    return wall_time_to_utc(datetime.combine(tomorrow, END_OF_DAY), zone)

"""Calendar feed commands: issue a secret URL (revoking the previous one), revoke it, render the feed.

A task due at the end of a day (what a date without a time means in capture) is an all-day event
on that day in the user's zone; Google Calendar ignores VTODO, so every task is a VEVENT.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Row

from kanban.api.calendar import repository as repo
from kanban.api.capture.parser import END_OF_DAY
from kanban.api.errors import NotFound
from kanban.api.security.tokens import new_opaque_token, token_digest
from kanban.db.types import new_id, utcnow
from kanban.messaging.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from icalendar import Event

DEFAULT_EVENT_MINUTES = 30


@dataclass(frozen=True)
class IssuedFeed:
    url: str
    created_at: datetime


async def issue_feed(user_id: str, public_url: str, uow: UnitOfWork) -> IssuedFeed:
    await repo.revoke_feeds(uow.conn, user_id)
    token, now = new_opaque_token(), utcnow()
    await repo.insert_feed(
        uow.conn, {"id": new_id(), "user_id": user_id, "token_hash": token_digest(token), "created_at": now}
    )
    await uow.commit()
    return IssuedFeed(url=f"{public_url}/api/v1/calendar/{token}.ics", created_at=now)


async def feed_status(user_id: str, uow: UnitOfWork) -> Row[Any] | None:
    return await repo.live_feed(uow.conn, user_id)


async def revoke_feed(user_id: str, uow: UnitOfWork) -> None:
    if await repo.revoke_feeds(uow.conn, user_id) == 0:
        raise NotFound("there is no calendar feed to revoke")
    await uow.commit()


async def render_feed(token: str, public_url: str, uow: UnitOfWork) -> bytes:
    feed = await repo.feed_by_digest(uow.conn, token_digest(token))
    if feed is None:
        raise NotFound("no such calendar feed")  # unknown and revoked look the same
    try:
        zone = ZoneInfo(feed.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    from icalendar import Calendar  # imported with the first feed read: ~3 MiB most instances never use

    calendar = Calendar()
    calendar.add("prodid", "-//Personal Kanban//capture//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "Kanban: due tasks")
    for task in await repo.due_tasks(uow.conn, feed.user_id):
        calendar.add_component(_event(task, zone, public_url))
    return calendar.to_ical()


def _event(task: Row[Any], zone: ZoneInfo, public_url: str) -> Event:
    from icalendar import Event

    event = Event()
    event.add("uid", f"{task.id}@personal-kanban")
    event.add("summary", task.title)
    event.add("dtstamp", task.updated_at)
    local = task.due_at.astimezone(zone)
    if local.time().replace(second=0, microsecond=0) == END_OF_DAY:
        event.add("dtstart", local.date())
        event.add("dtend", local.date() + timedelta(days=1))
    else:
        event.add("dtstart", task.due_at)
        event.add("dtend", task.due_at + timedelta(minutes=task.duration_minutes or DEFAULT_EVENT_MINUTES))
    link = f"{public_url}/api/v1/tasks/{task.id}"
    event.add("url", link)
    event.add("description", "\n\n".join(p for p in (task.description, f"{task.board_name}: {link}") if p))
    return event

"""Login throttling kept in the database (`login_attempts`), so every API replica sees the same count."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from kanban.api.errors import RateLimited
from kanban.api.tables import login_attempts


@dataclass(frozen=True)
class Limit:
    """At most `max_failures` failed attempts per key within `window`; one more is refused."""

    max_failures: int
    window: timedelta


# An email is one person's account: a tight limit. An address may hide many people behind NAT.
PER_EMAIL = Limit(max_failures=5, window=timedelta(minutes=15))
PER_CLIENT = Limit(max_failures=20, window=timedelta(minutes=15))


def email_key(email: str) -> str:
    return f"email:{email.strip().lower()}"[:400]


def client_key(address: str) -> str:
    return f"ip:{address}"[:400]


async def ensure_allowed(conn: AsyncConnection, limits: dict[str, Limit], now: datetime) -> None:
    """Raise RateLimited (with the seconds to wait) when any key has used up its failures."""
    retry_after = 0
    for key, limit in limits.items():
        since = now - limit.window
        count, oldest = (
            await conn.execute(
                select(func.count(), func.min(login_attempts.c.attempted_at)).where(
                    login_attempts.c.key == key,
                    login_attempts.c.succeeded.is_(False),
                    login_attempts.c.attempted_at > since,
                )
            )
        ).one()
        if count >= limit.max_failures and oldest is not None:
            oldest = _aware(oldest, now)
            retry_after = max(retry_after, math.ceil((oldest + limit.window - now).total_seconds()))
    if retry_after > 0:
        raise RateLimited("too many failed sign-in attempts; try again later", retryAfter=retry_after)


async def record_failure(conn: AsyncConnection, keys: list[str], now: datetime, keep: timedelta) -> None:
    """Count one failure against every key, and forget the key's failures older than `keep`."""
    for key in keys:
        await conn.execute(
            delete(login_attempts).where(login_attempts.c.key == key, login_attempts.c.attempted_at < now - keep)
        )
        await conn.execute(insert(login_attempts).values(key=key, attempted_at=now, succeeded=False))


async def clear_failures(conn: AsyncConnection, key: str) -> None:
    """A successful sign-in wipes the slate for that key (the email, never the shared address)."""
    await conn.execute(delete(login_attempts).where(login_attempts.c.key == key))


def _aware(value: datetime, now: datetime) -> datetime:
    # min() over a UtcDateTime column comes back raw on SQLite (a string or a naive datetime).
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=now.tzinfo)

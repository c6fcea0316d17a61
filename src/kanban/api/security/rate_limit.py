"""Sign-in and registration throttling kept in the database (`login_attempts`), so every replica sees one count.

Three keys guard a sign-in: the account (5 failures in 15 minutes), the client address as the
trusted proxies report it (100: many people may share one address) and, for a browser that
signed in to that account before, its device cookie, which replaces the other two. So neither a
forged X-Forwarded-For nor a flood of wrong passwords from the one address of a single-machine
install locks the owner out: their browser's device cookie still has its own, untouched budget.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, insert, select

from kanban.api.errors import RateLimited
from kanban.api.tables import login_attempts
from kanban.db.async_core import AsyncConnection


@dataclass(frozen=True)
class Limit:
    """At most `max_failures` failed attempts per key within `window`; one more is refused."""

    max_failures: int
    window: timedelta


# An email is one person's account: a tight limit. An address may hide many people behind NAT.
PER_EMAIL = Limit(max_failures=5, window=timedelta(minutes=15))
PER_CLIENT = Limit(max_failures=100, window=timedelta(minutes=15))
# A browser that signed in to the account before: its own budget, spent only by its own failures.
PER_DEVICE = Limit(max_failures=5, window=timedelta(minutes=15))
# Registrations per client address, successful or not (each costs a password hash): per hour, as set.
REGISTRATION_WINDOW = timedelta(hours=1)
DEVICE_COOKIE = "kanban_device"


def email_key(email: str) -> str:
    return f"email:{email.strip().lower()}"[:400]


def client_key(address: str) -> str:
    return f"ip:{address}"[:400]


def registration_key(address: str) -> str:
    return f"register:{address}"[:400]


def device_token(email: str, secret: str) -> str:
    """A device cookie for a browser that just signed in to `email`: a random id and its signature."""
    nonce = secrets.token_urlsafe(16)
    return f"{nonce}.{_device_signature(email, nonce, secret)}"


def device_key(token: str | None, email: str, secret: str) -> str | None:
    """The throttling key of a valid device cookie for this account, or None (then the usual keys apply)."""
    if not token or "." not in token:
        return None
    nonce, _, signature = token.partition(".")
    if not hmac.compare_digest(signature, _device_signature(email, nonce, secret)):
        return None
    return f"device:{nonce}"[:400]


def _device_signature(email: str, nonce: str, secret: str) -> str:
    return hmac.new(secret.encode(), f"device:{email}:{nonce}".encode(), hashlib.sha256).hexdigest()[:32]


async def ensure_allowed(
    conn: AsyncConnection,
    limits: dict[str, Limit],
    now: datetime,
    message: str = "too many failed sign-in attempts; try again later",
) -> None:
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
        raise RateLimited(message, retryAfter=retry_after)


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

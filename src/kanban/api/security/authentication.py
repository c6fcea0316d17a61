"""Turn a request's credential into a Principal, and tell whether a Principal is still signed in.

One indexed lookup per request: the access token's `sid` by primary key, or the cookie's digest by
its unique index. A revoked, expired or idle sign-in is a 401 on the very next request.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from kanban.api.access_tokens import repository as token_repo
from kanban.api.accounts import repository as repo
from kanban.api.errors import Unauthorized
from kanban.api.security.principal import Principal
from kanban.api.security.tokens import decode_access_token, token_digest
from kanban.api.security.usage import record_use_later
from kanban.db.async_core import AsyncConnection, AsyncEngine
from kanban.db.engine import single_read
from kanban.db.types import utcnow

log = logging.getLogger(__name__)
SESSION_COOKIE = "kanban_session"
CSRF_COOKIE = "kanban_csrf"
# A cookie session's last use is written at most this often, not on every request.
TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class SessionRules:
    """What the settings say about sign-ins: the signing secret and how long a cookie session lives."""

    secret: str
    session_lifetime: timedelta
    idle_timeout: timedelta


async def from_access_token(engine: AsyncEngine, token: str, rules: SessionRules) -> Principal:
    claims = decode_access_token(token, rules.secret)
    async with single_read(engine) as conn:
        stored = await repo.session_by_id(conn, claims.session_id)
    now = utcnow()
    if stored is None or stored.user_id != claims.user_id or stored.kind != "token" or not _live(stored, now):
        raise Unauthorized("the sign-in of this access token has ended")
    return Principal(claims.user_id, "access", stored.id, claims.expires_at)


async def from_session_cookie(engine: AsyncEngine, cookie: str, rules: SessionRules) -> Principal:
    now = utcnow()
    async with single_read(engine) as conn:
        stored = await repo.session_by_digest(conn, token_digest(cookie))
    if stored is None or stored.kind != "cookie" or not _live(stored, now, rules.idle_timeout):
        raise Unauthorized("the session has ended; sign in again")
    if now - stored.last_seen_at >= TOUCH_EVERY:
        _touch_later(engine, stored.id, now)
    return Principal(stored.user_id, "session", stored.id, min(stored.expires_at, now + rules.idle_timeout))


async def still_signed_in(conn: AsyncConnection, principal: Principal, rules: SessionRules) -> bool:
    """Re-check a principal resolved earlier (an open stream does, when told of a sign-out)."""
    now = utcnow()
    if principal.expires_at <= now:
        return False
    if principal.kind in ("access", "session"):
        stored = await repo.session_by_id(conn, principal.credential_id)
        idle = rules.idle_timeout if principal.kind == "session" else None
        return stored is not None and stored.user_id == principal.user_id and _live(stored, now, idle)
    if principal.kind == "pat":
        token = await token_repo.token_by_id(conn, principal.credential_id)
        return token is not None and token.revoked_at is None and (token.expires_at is None or token.expires_at > now)
    return False


def _touch_later(engine: AsyncEngine, session_id: str, now: datetime) -> None:
    async def write(conn: AsyncConnection) -> None:
        await repo.update_session(conn, session_id, {"last_seen_at": now})

    record_use_later(engine, write, "a session")


def _live(stored: repo.StoredSession, now: datetime, idle_timeout: timedelta | None = None) -> bool:
    if stored.revoked_at is not None or stored.expires_at <= now:
        return False
    return idle_timeout is None or stored.last_seen_at + idle_timeout > now

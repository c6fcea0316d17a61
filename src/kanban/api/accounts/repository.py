"""Reads and writes of users, their sign-ins (auth sessions) and refresh tokens; SQL only, no rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, Table, bindparam, func, insert, select, update

from kanban.api.tables import auth_sessions, refresh_tokens, users
from kanban.db.async_core import AsyncConnection


@dataclass(frozen=True)
class StoredRefreshToken:
    id: str
    user_id: str
    family_id: str
    expires_at: datetime
    used_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True)
class StoredSession:
    id: str
    user_id: str
    kind: str
    last_seen_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


async def user_by_email(conn: AsyncConnection, email: str) -> Row | None:
    """Emails are stored lower-cased; lower() also finds rows a legacy import left in mixed case."""
    return (await conn.execute(select(users).where(func.lower(users.c.email) == email.lower()))).first()


async def look_alike_exists(conn: AsyncConnection, skeleton: str) -> bool:
    found = await conn.execute(select(users.c.id).where(users.c.email_skeleton == skeleton).limit(1))
    return found.first() is not None


async def emails_without_skeleton(conn: AsyncConnection) -> list[str]:
    """Accounts imported without a skeleton (`kanban migrate` writes rows directly); few, if any."""
    return list((await conn.execute(select(users.c.email).where(users.c.email_skeleton.is_(None)))).scalars())


async def user_by_id(conn: AsyncConnection, user_id: str) -> Row | None:
    return (await conn.execute(select(users).where(users.c.id == user_id))).first()


async def insert_user(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await conn.execute(insert(users).values(**values))


async def update_user(conn: AsyncConnection, user_id: str, values: dict[str, Any]) -> None:
    await conn.execute(update(users).where(users.c.id == user_id).values(**values))


async def insert_refresh_token(
    conn: AsyncConnection,
    *,
    token_id: str,
    user_id: str,
    family_id: str,
    digest: str,
    issued_at: datetime,
    expires_at: datetime,
) -> None:
    await conn.execute(
        insert(refresh_tokens).values(
            id=token_id,
            user_id=user_id,
            family_id=family_id,
            token_hash=digest,
            issued_at=issued_at,
            expires_at=expires_at,
        )
    )


async def refresh_token_by_digest(conn: AsyncConnection, digest: str) -> StoredRefreshToken | None:
    row = (
        await conn.execute(
            select(
                refresh_tokens.c.id,
                refresh_tokens.c.user_id,
                refresh_tokens.c.family_id,
                refresh_tokens.c.expires_at,
                refresh_tokens.c.used_at,
                refresh_tokens.c.revoked_at,
            ).where(refresh_tokens.c.token_hash == digest)
        )
    ).first()
    return None if row is None else StoredRefreshToken(*row)


async def mark_used(conn: AsyncConnection, token_id: str, now: datetime) -> bool:
    """Spend a token; False when another request spent (or revoked) it first."""
    result = await conn.execute(
        update(refresh_tokens)
        .where(
            refresh_tokens.c.id == token_id, refresh_tokens.c.used_at.is_(None), refresh_tokens.c.revoked_at.is_(None)
        )
        .values(used_at=now)
    )
    return result.rowcount == 1


async def _revoke(conn: AsyncConnection, table: Table, condition: ColumnElement[bool], now: datetime) -> None:
    """Set `revoked_at` on the matching rows not revoked yet (the first revocation's time is kept)."""
    await conn.execute(update(table).where(condition, table.c.revoked_at.is_(None)).values(revoked_at=now))


async def revoke_family(conn: AsyncConnection, family_id: str, now: datetime) -> None:
    await _revoke(conn, refresh_tokens, refresh_tokens.c.family_id == family_id, now)


async def revoke_all_of_user(conn: AsyncConnection, user_id: str, now: datetime) -> None:
    await _revoke(conn, refresh_tokens, refresh_tokens.c.user_id == user_id, now)


async def insert_session(
    conn: AsyncConnection,
    *,
    session_id: str,
    user_id: str,
    kind: str,
    now: datetime,
    expires_at: datetime,
    digest: str | None = None,
) -> None:
    await conn.execute(
        insert(auth_sessions).values(
            id=session_id,
            user_id=user_id,
            kind=kind,
            token_hash=digest,
            created_at=now,
            last_seen_at=now,
            expires_at=expires_at,
        )
    )


async def all_users(conn: AsyncConnection) -> list[Row]:
    """Every account, oldest first (for operators: `kanban users list`)."""
    return list((await conn.execute(select(users).order_by(users.c.created_at, users.c.email))).all())


_SESSION_COLUMNS = (
    auth_sessions.c.id,
    auth_sessions.c.user_id,
    auth_sessions.c.kind,
    auth_sessions.c.last_seen_at,
    auth_sessions.c.expires_at,
    auth_sessions.c.revoked_at,
)


# Read on every authenticated request: built once, the key bound.
_SESSION_BY_ID = select(*_SESSION_COLUMNS).where(auth_sessions.c.id == bindparam("session_id"))
_SESSION_BY_DIGEST = select(*_SESSION_COLUMNS).where(auth_sessions.c.token_hash == bindparam("digest"))


async def session_by_id(conn: AsyncConnection, session_id: str) -> StoredSession | None:
    row = (await conn.execute(_SESSION_BY_ID, {"session_id": session_id})).first()
    return None if row is None else StoredSession(*row)


async def session_by_digest(conn: AsyncConnection, digest: str) -> StoredSession | None:
    row = (await conn.execute(_SESSION_BY_DIGEST, {"digest": digest})).first()
    return None if row is None else StoredSession(*row)


async def update_session(conn: AsyncConnection, session_id: str, values: dict[str, Any]) -> None:
    await conn.execute(update(auth_sessions).where(auth_sessions.c.id == session_id).values(**values))


async def revoke_session(conn: AsyncConnection, session_id: str, now: datetime) -> None:
    await _revoke(conn, auth_sessions, auth_sessions.c.id == session_id, now)


async def revoke_sessions_of_user(conn: AsyncConnection, user_id: str, now: datetime) -> None:
    await _revoke(conn, auth_sessions, auth_sessions.c.user_id == user_id, now)

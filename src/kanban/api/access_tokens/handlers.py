"""Personal access token commands: create (the token is returned once), list, revoke; and resolving a bearer.

A token is `kpat_` and 256 random bits; only its SHA-256 is stored. Its last use is recorded at
most once a minute, after the request, so resolving it is one indexed read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row

from kanban.api.access_tokens import repository as repo
from kanban.api.access_tokens.schemas import CreatedTokenOut, TokenOut
from kanban.api.errors import Forbidden, NotFound, Unauthorized
from kanban.api.security.principal import Principal
from kanban.api.security.tokens import new_opaque_token, token_digest
from kanban.api.security.usage import record_use_later
from kanban.db.async_core import AsyncConnection, AsyncEngine
from kanban.db.engine import read_only_connection
from kanban.db.types import new_id, utcnow
from kanban.messaging.unit_of_work import UnitOfWork

TOKEN_PREFIX = "kpat_"
TOUCH_EVERY = timedelta(minutes=1)
# A token without an expiry is a principal that "expires" far ahead; revocation still ends it at once.
NEVER = timedelta(days=36500)


@dataclass(frozen=True)
class CreateToken:
    principal: Principal
    name: str
    scopes: list[str]
    expires_in_days: int | None = None


@dataclass(frozen=True)
class RevokeToken:
    principal: Principal
    token_id: str


def is_personal_token(bearer: str) -> bool:
    return bearer.startswith(TOKEN_PREFIX)


def token_out(row: Row[Any]) -> TokenOut:
    return TokenOut(
        id=row.id, name=row.name, scopes=row.scopes.split(), prefix=row.prefix, created_at=row.created_at,
        expires_at=row.expires_at, last_used_at=row.last_used_at, revoked_at=row.revoked_at,
    )  # fmt: skip


def _signed_in(principal: Principal) -> None:
    if principal.kind == "pat":
        raise Forbidden("personal access tokens are managed by a signed-in user, not by a token")


async def create_token(cmd: CreateToken, uow: UnitOfWork) -> CreatedTokenOut:
    _signed_in(cmd.principal)
    now = utcnow()
    token = TOKEN_PREFIX + new_opaque_token()
    token_id = new_id()
    await repo.insert_token(
        uow.conn,
        {
            "id": token_id, "user_id": cmd.principal.user_id, "name": cmd.name, "token_hash": token_digest(token),
            "prefix": token[:12], "scopes": " ".join(sorted(set(cmd.scopes))), "created_at": now,
            "expires_at": now + timedelta(days=cmd.expires_in_days) if cmd.expires_in_days else None,
        },
    )  # fmt: skip
    row = await repo.token_by_id(uow.conn, token_id)
    await uow.commit()
    assert row is not None
    return CreatedTokenOut(**token_out(row).model_dump(), token=token)


async def list_tokens(principal: Principal, uow: UnitOfWork) -> list[TokenOut]:
    _signed_in(principal)
    return [token_out(row) for row in await repo.user_tokens(uow.conn, principal.user_id)]


async def revoke_token(cmd: RevokeToken, uow: UnitOfWork) -> None:
    _signed_in(cmd.principal)
    row = await repo.token_by_id(uow.conn, cmd.token_id)
    if row is None or row.user_id != cmd.principal.user_id:
        raise NotFound(f"token {cmd.token_id} not found")
    if row.revoked_at is None:
        await repo.update_token(uow.conn, row.id, {"revoked_at": utcnow()})
        await uow.commit()


def _live(row: Row[Any] | None, now: datetime) -> bool:
    return row is not None and row.revoked_at is None and (row.expires_at is None or row.expires_at > now)


async def from_personal_token(engine: AsyncEngine, token: str) -> Principal:
    async with read_only_connection(engine) as conn:
        row = await repo.token_by_digest(conn, token_digest(token))
    now = utcnow()
    if row is None or not _live(row, now):
        raise Unauthorized("the personal access token is unknown, revoked or expired")
    if row.last_used_at is None or now - row.last_used_at >= TOUCH_EVERY:
        _touch_later(engine, row.id, now)
    return Principal(row.user_id, "pat", row.id, row.expires_at or now + NEVER, frozenset(row.scopes.split()))


def _touch_later(engine: AsyncEngine, token_id: str, now: datetime) -> None:
    async def write(conn: AsyncConnection) -> None:
        await repo.update_token(conn, token_id, {"last_used_at": now})

    record_use_later(engine, write, "a personal access token")

"""Account commands: register, sign in, rotate and revoke refresh tokens, edit the profile and password.

Password hashing is CPU-bound, so it runs in a worker thread and never stalls the event loop.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row
from sqlalchemy.exc import IntegrityError

from kanban.api.accounts import repository as repo
from kanban.api.accounts.erasure import erase_user
from kanban.api.errors import Conflict, InvalidInput, NotFound, Unauthorized
from kanban.api.security import rate_limit
from kanban.api.security.passwords import Passwords
from kanban.api.security.tokens import issue_access_token, new_refresh_token, refresh_token_digest
from kanban.contracts.events import UserDeletedV1
from kanban.db.types import new_id, utcnow
from kanban.messaging.unit_of_work import UnitOfWork

WRONG_CREDENTIALS = "the email or password is incorrect"


@dataclass(frozen=True)
class AuthPolicy:
    """What signing in needs from the settings: the hasher and the token lifetimes."""

    passwords: Passwords
    jwt_secret: str
    access_token_minutes: int
    refresh_token_days: int


@dataclass(frozen=True)
class IssuedTokens:
    access_token: str
    refresh_token: str
    expires_in: int


@dataclass(frozen=True)
class SignedIn:
    user: Row
    tokens: IssuedTokens


@dataclass(frozen=True)
class Register:
    email: str
    password: str
    name: str | None = None
    timezone: str = "UTC"


@dataclass(frozen=True)
class Login:
    email: str
    password: str
    client_address: str


@dataclass(frozen=True)
class Refresh:
    refresh_token: str


@dataclass(frozen=True)
class Logout:
    user_id: str
    refresh_token: str


@dataclass(frozen=True)
class UpdateProfile:
    user_id: str
    changes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DeleteAccount:
    user_id: str
    password: str


@dataclass(frozen=True)
class ChangePassword:
    user_id: str
    current_password: str
    new_password: str


def normalise_email(email: str) -> str:
    return email.strip().lower()


async def register(cmd: Register, uow: UnitOfWork, policy: AuthPolicy) -> SignedIn:
    """Create an account. Never an upsert: an existing email is a conflict and its password stays untouched."""
    email = normalise_email(cmd.email)
    if await repo.user_by_email(uow.conn, email) is not None:
        raise Conflict("an account with this email already exists", field="email")
    password_hash = await asyncio.to_thread(policy.passwords.hash, cmd.password)
    now, user_id = utcnow(), new_id()
    try:
        await repo.insert_user(
            uow.conn,
            {
                "id": user_id,
                "email": email,
                "name": cmd.name,
                "password_hash": password_hash,
                "timezone": cmd.timezone,
                "created_at": now,
                "updated_at": now,
            },
        )
    except IntegrityError:
        # Another request registered the same email between our check and our insert.
        raise Conflict("an account with this email already exists", field="email") from None
    tokens = await _issue_tokens(uow, policy, user_id, new_id(), now)
    user = await _existing_user(uow, user_id)
    await uow.commit()
    return SignedIn(user, tokens)


async def login(cmd: Login, uow: UnitOfWork, policy: AuthPolicy) -> SignedIn:
    """Check the password; unknown email, wrong password and no password at all look the same (401)."""
    now, email = utcnow(), normalise_email(cmd.email)
    limits = {
        rate_limit.email_key(email): rate_limit.PER_EMAIL,
        rate_limit.client_key(cmd.client_address): rate_limit.PER_CLIENT,
    }
    await rate_limit.ensure_allowed(uow.conn, limits, now)
    user = await repo.user_by_email(uow.conn, email)
    stored_hash = user.password_hash if user is not None else None
    if not await asyncio.to_thread(policy.passwords.verify, stored_hash, cmd.password) or user is None:
        await _count_failure(uow, list(limits), now)
        raise Unauthorized(WRONG_CREDENTIALS)
    await rate_limit.clear_failures(uow.conn, rate_limit.email_key(email))
    if policy.passwords.needs_rehash(stored_hash or ""):
        upgraded = await asyncio.to_thread(policy.passwords.hash, cmd.password)
        await repo.update_user(uow.conn, user.id, {"password_hash": upgraded})
    tokens = await _issue_tokens(uow, policy, user.id, new_id(), now)
    await uow.commit()
    return SignedIn(user, tokens)


async def refresh(cmd: Refresh, uow: UnitOfWork, policy: AuthPolicy) -> IssuedTokens:
    """Rotate: the token is spent and a new one of the same family issued. Reuse revokes the family."""
    now = utcnow()
    stored = await repo.refresh_token_by_digest(uow.conn, refresh_token_digest(cmd.refresh_token))
    if stored is None:
        raise Unauthorized("the refresh token is invalid")
    if stored.revoked_at is not None:
        raise Unauthorized("the refresh token has been revoked")
    if stored.used_at is None and stored.expires_at <= now:
        raise Unauthorized("the refresh token has expired")
    # mark_used is atomic, so of two concurrent refreshes with one token only one spends it.
    if stored.used_at is not None or not await repo.mark_used(uow.conn, stored.id, now):
        # A spent token came back: it was stolen or replayed. End every session of this sign-in.
        await repo.revoke_family(uow.conn, stored.family_id, now)
        await uow.commit()
        raise Unauthorized("the refresh token was already used; this sign-in has been revoked")
    tokens = await _issue_tokens(uow, policy, stored.user_id, stored.family_id, now)
    await uow.commit()
    return tokens


async def logout(cmd: Logout, uow: UnitOfWork) -> None:
    """Revoke the sign-in (token family) the token belongs to. Idempotent; another user's token is ignored."""
    stored = await repo.refresh_token_by_digest(uow.conn, refresh_token_digest(cmd.refresh_token))
    if stored is not None and stored.user_id == cmd.user_id:
        await repo.revoke_family(uow.conn, stored.family_id, utcnow())
        await uow.commit()


async def get_profile(user_id: str, uow: UnitOfWork) -> Row:
    return await _existing_user(uow, user_id)


async def update_profile(cmd: UpdateProfile, uow: UnitOfWork) -> Row:
    if "timezone" in cmd.changes and cmd.changes["timezone"] is None:
        raise InvalidInput("timezone cannot be null", field="timezone", errors=[_error("timezone", "cannot be null")])
    await _existing_user(uow, cmd.user_id)
    allowed = {k: v for k, v in cmd.changes.items() if k in ("name", "timezone")}
    if allowed:
        await repo.update_user(uow.conn, cmd.user_id, {**allowed, "updated_at": utcnow()})
    user = await _existing_user(uow, cmd.user_id)
    await uow.commit()
    return user


async def change_password(cmd: ChangePassword, uow: UnitOfWork, policy: AuthPolicy) -> None:
    """Replace the password and end every sign-in of the user (all refresh tokens revoked).

    A wrong current password is a 422 naming `currentPassword`, not a 401: the caller is
    authenticated, and a 401 would make clients discard a perfectly good session. Failures are
    throttled like sign-ins, so a stolen access token cannot be used to guess the password.
    """
    now = utcnow()
    await _confirm_password(uow, policy, cmd.user_id, cmd.current_password, "currentPassword", now)
    new_hash = await asyncio.to_thread(policy.passwords.hash, cmd.new_password)
    await repo.update_user(uow.conn, cmd.user_id, {"password_hash": new_hash, "updated_at": now})
    await repo.revoke_all_of_user(uow.conn, cmd.user_id, now)
    await rate_limit.clear_failures(uow.conn, f"password:{cmd.user_id}")
    await uow.commit()


async def delete_account(cmd: DeleteAccount, uow: UnitOfWork, policy: AuthPolicy) -> None:
    """Remove the user and everything of theirs in one transaction; the Worker is told by UserDeletedV1.

    The password is asked again (422 naming `password` when wrong, throttled like a sign-in), so a
    stolen access token alone cannot erase an account.
    """
    user = await _confirm_password(uow, policy, cmd.user_id, cmd.password, "password", utcnow())
    board_ids = await erase_user(uow.conn, user.id, user.email)
    uow.record(UserDeletedV1(user_id=user.id, board_ids=tuple(board_ids)), aggregate_id=user.id)
    await uow.commit()


async def _confirm_password(
    uow: UnitOfWork, policy: AuthPolicy, user_id: str, password: str, field_name: str, now: datetime
) -> Row:
    key = f"password:{user_id}"
    await rate_limit.ensure_allowed(uow.conn, {key: rate_limit.PER_EMAIL}, now)
    user = await _existing_user(uow, user_id)
    if not await asyncio.to_thread(policy.passwords.verify, user.password_hash, password):
        await _count_failure(uow, [key], now)
        message = f"the {'current ' if field_name == 'currentPassword' else ''}password is incorrect"
        raise InvalidInput(message, field=field_name, errors=[_error(field_name, message)])
    return user


async def _issue_tokens(
    uow: UnitOfWork, policy: AuthPolicy, user_id: str, family_id: str, now: datetime
) -> IssuedTokens:
    token = new_refresh_token()
    await repo.insert_refresh_token(
        uow.conn,
        token_id=new_id(),
        user_id=user_id,
        family_id=family_id,
        digest=refresh_token_digest(token),
        issued_at=now,
        expires_at=now + timedelta(days=policy.refresh_token_days),
    )
    access = issue_access_token(user_id, policy.jwt_secret, policy.access_token_minutes)
    return IssuedTokens(access_token=access, refresh_token=token, expires_in=policy.access_token_minutes * 60)


async def _count_failure(uow: UnitOfWork, keys: list[str], now: datetime) -> None:
    # Committed before the error is raised: a failed attempt must count even though the request fails.
    keep = max(rate_limit.PER_EMAIL.window, rate_limit.PER_CLIENT.window)
    await rate_limit.record_failure(uow.conn, keys, now, keep)
    await uow.commit()


async def _existing_user(uow: UnitOfWork, user_id: str) -> Row:
    user = await repo.user_by_id(uow.conn, user_id)
    if user is None:
        raise Unauthorized("the account no longer exists")
    return user


def _error(field_name: str, message: str) -> dict[str, str]:
    return {"field": field_name, "message": message}


@dataclass(frozen=True)
class SetPassword:
    """An operator sets a user's password (`kanban users set-password`), for example a legacy account without one."""

    email: str
    new_password: str


async def set_password(cmd: SetPassword, uow: UnitOfWork, passwords: Passwords) -> Row:
    """Replace the password without the current one and end every sign-in of the user, as a password change does."""
    now = utcnow()
    user = await repo.user_by_email(uow.conn, normalise_email(cmd.email))
    if user is None:
        raise NotFound(f"no account has the email {normalise_email(cmd.email)}")
    new_hash = await asyncio.to_thread(passwords.hash, cmd.new_password)
    await repo.update_user(uow.conn, user.id, {"password_hash": new_hash, "updated_at": now})
    await repo.revoke_all_of_user(uow.conn, user.id, now)
    await rate_limit.clear_failures(uow.conn, rate_limit.email_key(user.email))
    await uow.commit()
    return user

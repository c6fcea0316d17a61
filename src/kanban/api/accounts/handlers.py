"""Account commands: register, sign in (tokens or a browser session), rotate and revoke, profile, password.

Password hashing is CPU-bound: it runs on the hasher's few threads (kanban.api.security.passwords),
so a burst of sign-ups queues there instead of taking every core from the event loop.
Every sign-in is an `auth_sessions` row; ending one (logout, password change) revokes the row and
tells the realtime hub, so the user's open streams re-check and close.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row
from sqlalchemy.exc import IntegrityError

from kanban.api.accounts import repository as repo
from kanban.api.boards.handlers import create_default_board
from kanban.api.errors import Conflict, InvalidInput, Unauthorized
from kanban.api.security import emails, rate_limit
from kanban.api.security.passwords import Passwords, password_problem
from kanban.api.security.tokens import issue_access_token, new_opaque_token, token_digest
from kanban.db.types import new_id, utcnow
from kanban.messaging.unit_of_work import UnitOfWork

WRONG_CREDENTIALS = "the email or password is incorrect"


def _nobody_listens(_: str) -> None:
    return None


@dataclass(frozen=True)
class AuthPolicy:
    """What signing in needs from the settings: the hasher, the lifetimes, and who to tell of a sign-out."""

    passwords: Passwords
    jwt_secret: str
    access_token_minutes: int
    refresh_token_days: int
    session_lifetime: timedelta = timedelta(days=14)
    registrations_per_hour: int = 10
    # Called with the user id after a commit that ended sign-ins (the realtime hub closes streams).
    signed_out: Callable[[str], None] = _nobody_listens


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
class BrowserSession:
    """A cookie session: the opaque cookie value (only its digest is stored) and its row id."""

    user: Row
    cookie: str
    session_id: str
    expires_at: datetime


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
    # The device cookie of a browser that signed in to this account before (see security.rate_limit).
    device: str | None = None


@dataclass(frozen=True)
class Refresh:
    refresh_token: str


@dataclass(frozen=True)
class Logout:
    """End the caller's sign-in (its auth session) and, when given, the refresh token's family."""

    user_id: str
    session_id: str | None = None
    refresh_token: str | None = None


@dataclass(frozen=True)
class UpdateProfile:
    user_id: str
    changes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ChangePassword:
    user_id: str
    current_password: str
    new_password: str


def normalise_email(email: str) -> str:
    """The stored form; an address that is not valid still gets a stable form, to look up and to throttle."""
    try:
        return emails.normalise_email(email)
    except ValueError:
        return email.strip().lower()


async def register(cmd: Register, uow: UnitOfWork, policy: AuthPolicy, client_address: str = "unknown") -> SignedIn:
    """Create an account with its default board, and sign in.

    Never an upsert: an existing email, or a look-alike of one (Cyrillic `а` for Latin `a`), is a
    409 and the existing account is untouched. Registrations per client address are throttled.
    """
    now, email = utcnow(), normalise_email(cmd.email)
    await _throttle_registration(uow, policy, client_address, now)
    problem = password_problem(cmd.password, email)
    if problem is not None:
        raise InvalidInput(problem, field="password", errors=[_error("password", problem)])
    if await repo.user_by_email(uow.conn, email) is not None:
        raise Conflict("an account with this email already exists", field="email")
    skeleton = emails.email_skeleton(email)
    if await _look_alike_taken(uow, skeleton):
        raise Conflict("an account with an email that looks the same already exists", field="email")
    password_hash = await policy.passwords.hash_async(cmd.password)
    user_id = new_id()
    try:
        await repo.insert_user(
            uow.conn,
            {
                "id": user_id,
                "email": email,
                "email_skeleton": skeleton,
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
    await create_default_board(user_id, uow)
    tokens = await _start_token_sign_in(uow, policy, user_id, now)
    user = await _existing_user(uow, user_id)
    await uow.commit()
    return SignedIn(user, tokens)


async def _throttle_registration(uow: UnitOfWork, policy: AuthPolicy, client_address: str, now: datetime) -> None:
    # Every attempt counts, successful or not: the cost to bound is the hash, not the failure.
    key = rate_limit.registration_key(client_address)
    limit = rate_limit.Limit(policy.registrations_per_hour, rate_limit.REGISTRATION_WINDOW)
    await rate_limit.ensure_allowed(uow.conn, {key: limit}, now, "too many registrations from this address; try later")
    await rate_limit.record_failure(uow.conn, [key], now, limit.window)
    await uow.commit()


async def _look_alike_taken(uow: UnitOfWork, skeleton: str) -> bool:
    if await repo.look_alike_exists(uow.conn, skeleton):
        return True
    return any(emails.email_skeleton(other) == skeleton for other in await repo.emails_without_skeleton(uow.conn))


async def login(cmd: Login, uow: UnitOfWork, policy: AuthPolicy) -> SignedIn:
    """Check the password and start a token sign-in (access + refresh token)."""
    user, now = await _check_password(cmd, uow, policy)
    tokens = await _start_token_sign_in(uow, policy, user.id, now)
    await uow.commit()
    return SignedIn(user, tokens)


async def start_browser_session(cmd: Login, uow: UnitOfWork, policy: AuthPolicy) -> BrowserSession:
    """Check the password (throttled like login) and open a cookie session."""
    user, now = await _check_password(cmd, uow, policy)
    cookie, session_id, expires_at = new_opaque_token(), new_id(), now + policy.session_lifetime
    await repo.insert_session(
        uow.conn,
        session_id=session_id,
        user_id=user.id,
        kind="cookie",
        now=now,
        expires_at=expires_at,
        digest=token_digest(cookie),
    )
    await uow.commit()
    return BrowserSession(user, cookie, session_id, expires_at)


async def _check_password(cmd: Login, uow: UnitOfWork, policy: AuthPolicy) -> tuple[Row, datetime]:
    """Unknown email, wrong password and no password at all look the same (401)."""
    now, email = utcnow(), normalise_email(cmd.email)
    device = rate_limit.device_key(cmd.device, email, policy.jwt_secret)
    if device is not None:
        limits = {device: rate_limit.PER_DEVICE}
    else:
        limits = {
            rate_limit.email_key(email): rate_limit.PER_EMAIL,
            rate_limit.client_key(cmd.client_address): rate_limit.PER_CLIENT,
        }
    await rate_limit.ensure_allowed(uow.conn, limits, now)
    user = await repo.user_by_email(uow.conn, email)
    stored_hash = user.password_hash if user is not None else None
    if not await policy.passwords.verify_async(stored_hash, cmd.password) or user is None:
        await _count_failure(uow, list(limits), now)
        raise Unauthorized(WRONG_CREDENTIALS)
    for key in (rate_limit.email_key(email), device):
        if key is not None:
            await rate_limit.clear_failures(uow.conn, key)
    if policy.passwords.needs_rehash(stored_hash or ""):
        upgraded = await policy.passwords.hash_async(cmd.password)
        await repo.update_user(uow.conn, user.id, {"password_hash": upgraded})
    return user, now


async def refresh(cmd: Refresh, uow: UnitOfWork, policy: AuthPolicy) -> IssuedTokens:
    """Rotate: the token is spent and a new one of the same family issued. Reuse revokes the family."""
    now = utcnow()
    stored = await repo.refresh_token_by_digest(uow.conn, token_digest(cmd.refresh_token))
    if stored is None:
        raise Unauthorized("the refresh token is invalid")
    session = await repo.session_by_id(uow.conn, stored.family_id)
    if stored.revoked_at is not None or session is None or session.revoked_at is not None:
        raise Unauthorized("the refresh token has been revoked")
    if stored.used_at is None and stored.expires_at <= now:
        raise Unauthorized("the refresh token has expired")
    # mark_used is atomic, so of two concurrent refreshes with one token only one spends it.
    if stored.used_at is not None or not await repo.mark_used(uow.conn, stored.id, now):
        # A spent token came back: it was stolen or replayed. End every session of this sign-in.
        await _end_sign_in(uow, policy, stored.user_id, stored.family_id, now)
        await uow.commit()
        raise Unauthorized("the refresh token was already used; this sign-in has been revoked")
    tokens = await _issue_tokens(uow, policy, stored.user_id, stored.family_id, now)
    await uow.commit()
    return tokens


async def logout(cmd: Logout, uow: UnitOfWork, policy: AuthPolicy) -> None:
    """Revoke the caller's sign-in and the refresh token's family. Idempotent; another user's token is ignored."""
    now = utcnow()
    if cmd.session_id is not None:
        await _end_sign_in(uow, policy, cmd.user_id, cmd.session_id, now)
    if cmd.refresh_token is not None:
        stored = await repo.refresh_token_by_digest(uow.conn, token_digest(cmd.refresh_token))
        if stored is not None and stored.user_id == cmd.user_id:
            await _end_sign_in(uow, policy, cmd.user_id, stored.family_id, now)
    await uow.commit()


async def _end_sign_in(uow: UnitOfWork, policy: AuthPolicy, user_id: str, session_id: str, now: datetime) -> None:
    # A token sign-in's session id is its refresh-token family; a cookie session has no family.
    await repo.revoke_family(uow.conn, session_id, now)
    await repo.revoke_session(uow.conn, session_id, now)
    uow.after_commit(lambda: policy.signed_out(user_id))


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
    """Replace the password and end every sign-in of the user: tokens, cookie sessions, open streams.

    A wrong current password is a 422 naming `currentPassword`, not a 401: the caller is
    authenticated, and a 401 would make clients discard a perfectly good session. Failures are
    throttled like sign-ins, so a stolen access token cannot be used to guess the password.
    """
    now = utcnow()
    key = f"password:{cmd.user_id}"
    await rate_limit.ensure_allowed(uow.conn, {key: rate_limit.PER_EMAIL}, now)
    user = await _existing_user(uow, cmd.user_id)
    if not await policy.passwords.verify_async(user.password_hash, cmd.current_password):
        await _count_failure(uow, [key], now)
        message = "the current password is incorrect"
        raise InvalidInput(message, field="currentPassword", errors=[_error("currentPassword", message)])
    problem = password_problem(cmd.new_password, user.email)
    if problem is not None:
        raise InvalidInput(problem, field="newPassword", errors=[_error("newPassword", problem)])
    new_hash = await policy.passwords.hash_async(cmd.new_password)
    await repo.update_user(uow.conn, cmd.user_id, {"password_hash": new_hash, "updated_at": now})
    await repo.revoke_all_of_user(uow.conn, cmd.user_id, now)
    await repo.revoke_sessions_of_user(uow.conn, cmd.user_id, now)
    uow.after_commit(lambda: policy.signed_out(cmd.user_id))
    await rate_limit.clear_failures(uow.conn, key)
    await uow.commit()


async def _start_token_sign_in(uow: UnitOfWork, policy: AuthPolicy, user_id: str, now: datetime) -> IssuedTokens:
    """A new token sign-in: its auth session (id = the refresh-token family) and its first tokens."""
    family_id = new_id()
    await repo.insert_session(
        uow.conn,
        session_id=family_id,
        user_id=user_id,
        kind="token",
        now=now,
        expires_at=now + timedelta(days=policy.refresh_token_days),
    )
    return await _issue_tokens(uow, policy, user_id, family_id, now)


async def _issue_tokens(
    uow: UnitOfWork, policy: AuthPolicy, user_id: str, family_id: str, now: datetime
) -> IssuedTokens:
    token = new_opaque_token()
    expires_at = now + timedelta(days=policy.refresh_token_days)
    await repo.insert_refresh_token(
        uow.conn,
        token_id=new_id(),
        user_id=user_id,
        family_id=family_id,
        digest=token_digest(token),
        issued_at=now,
        expires_at=expires_at,
    )
    # The sign-in lives as long as its newest refresh token.
    await repo.update_session(uow.conn, family_id, {"last_seen_at": now, "expires_at": expires_at})
    access = issue_access_token(user_id, family_id, policy.jwt_secret, policy.access_token_minutes)
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

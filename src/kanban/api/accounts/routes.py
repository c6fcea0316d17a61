"""HTTP for accounts: /auth (register, login, refresh, logout) and /users/me. Thin: body in, command out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from sqlalchemy import Row

from kanban.api.accounts import handlers
from kanban.api.accounts.schemas import (
    AuthSession,
    ChangePasswordRequest,
    DeleteAccountRequest,
    LoginRequest,
    LogoutRequest,
    RefreshRequest,
    RegisterRequest,
    TokenPair,
    UpdateProfileRequest,
    UserOut,
)
from kanban.api.deps import CurrentUserId, Services, Uow
from kanban.api.problems import problem_responses
from kanban.api.security.passwords import passwords_for

router = APIRouter(tags=["accounts"])


def get_auth_policy(services: Services) -> handlers.AuthPolicy:
    settings = services.settings
    return handlers.AuthPolicy(
        passwords=passwords_for(settings),
        jwt_secret=settings.jwt_secret,
        access_token_minutes=settings.access_token_minutes,
        refresh_token_days=settings.refresh_token_days,
    )


Policy = Annotated[handlers.AuthPolicy, Depends(get_auth_policy)]


def _session(signed_in: handlers.SignedIn) -> AuthSession:
    return AuthSession(user=_user(signed_in.user), **_tokens(signed_in.tokens).model_dump())


def _tokens(tokens: handlers.IssuedTokens) -> TokenPair:
    return TokenPair(access_token=tokens.access_token, refresh_token=tokens.refresh_token, expires_in=tokens.expires_in)


def _user(row: Row) -> UserOut:
    return UserOut.model_validate(row)


@router.post(
    "/auth/register",
    status_code=status.HTTP_201_CREATED,
    response_model=AuthSession,
    responses=problem_responses(409, 422),
)
async def register(body: RegisterRequest, uow: Uow, policy: Policy) -> AuthSession:
    """Create an account and sign in. An existing email (in any letter case) is a 409; nothing is overwritten."""
    cmd = handlers.Register(email=body.email, password=body.password, name=body.name, timezone=body.timezone)
    return _session(await handlers.register(cmd, uow, policy))


@router.post("/auth/login", response_model=AuthSession, responses=problem_responses(401, 422, 429))
async def login(body: LoginRequest, request: Request, uow: Uow, policy: Policy) -> AuthSession:
    """Sign in with email and password.

    Accounts created by the legacy upsert without a password cannot sign in (401) until a
    password is set for them; registering their email again is refused (409).
    """
    address = request.client.host if request.client else "unknown"
    cmd = handlers.Login(email=body.email, password=body.password, client_address=address)
    return _session(await handlers.login(cmd, uow, policy))


@router.post("/auth/refresh", response_model=TokenPair, responses=problem_responses(401, 422))
async def refresh(body: RefreshRequest, uow: Uow, policy: Policy) -> TokenPair:
    """Trade a refresh token (usable once) for a new access token and a new refresh token. Needs no access token."""
    return _tokens(await handlers.refresh(handlers.Refresh(refresh_token=body.refresh_token), uow, policy))


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT, responses=problem_responses(401, 422))
async def logout(body: LogoutRequest, user_id: CurrentUserId, uow: Uow) -> None:
    """End the sign-in the refresh token belongs to (its whole token family). Access tokens live until they expire."""
    await handlers.logout(handlers.Logout(user_id=user_id, refresh_token=body.refresh_token), uow)


@router.get("/users/me", response_model=UserOut, responses=problem_responses(401))
async def get_me(user_id: CurrentUserId, uow: Uow) -> UserOut:
    return _user(await handlers.get_profile(user_id, uow))


@router.patch("/users/me", response_model=UserOut, responses=problem_responses(401, 422))
async def update_me(body: UpdateProfileRequest, user_id: CurrentUserId, uow: Uow) -> UserOut:
    """Change the name (null clears it) and/or the IANA time zone; absent fields stay as they are."""
    changes = {name: getattr(body, name) for name in body.model_fields_set}
    return _user(await handlers.update_profile(handlers.UpdateProfile(user_id=user_id, changes=changes), uow))


@router.post("/users/me/password", status_code=status.HTTP_204_NO_CONTENT, responses=problem_responses(401, 422, 429))
async def change_password(body: ChangePasswordRequest, user_id: CurrentUserId, uow: Uow, policy: Policy) -> None:
    """Set a new password. A wrong current password is a 422 naming `currentPassword`. Ends every sign-in."""
    cmd = handlers.ChangePassword(
        user_id=user_id, current_password=body.current_password, new_password=body.new_password
    )
    await handlers.change_password(cmd, uow, policy)


@router.delete("/users/me", status_code=status.HTTP_204_NO_CONTENT, responses=problem_responses(401, 422, 429))
async def delete_me(body: DeleteAccountRequest, user_id: CurrentUserId, uow: Uow, policy: Policy) -> None:
    """Delete the account and everything in it (boards, tasks, history, hints, sign-ins), in one transaction.

    Needs the password again (422 naming `password` when wrong). The Worker drops its copies
    (snapshots, drafts, jobs) when the `user.deleted` event reaches it. Export first: `GET /users/me/export`.
    """
    await handlers.delete_account(handlers.DeleteAccount(user_id=user_id, password=body.password), uow, policy)

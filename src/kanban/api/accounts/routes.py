"""HTTP for accounts: /auth (register, login, refresh, logout, the browser session) and /users/me.

Thin: body in, command out. The browser session lives in two cookies: `kanban_session` (HttpOnly,
the opaque session token) and `kanban_csrf` (readable by the page, echoed in X-CSRF-Token).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from sqlalchemy import Row

from kanban.api.accounts import handlers
from kanban.api.accounts.schemas import (
    AuthSession,
    ChangePasswordRequest,
    CookieSessionOut,
    DeleteAccountRequest,
    LoginRequest,
    LogoutRequest,
    RefreshRequest,
    RegisterRequest,
    TokenPair,
    UpdateProfileRequest,
    UserOut,
)
from kanban.api.deps import CurrentPrincipal, CurrentUserId, Services, SessionRules, Uow, authenticate
from kanban.api.errors import Unauthorized
from kanban.api.problems import problem_responses
from kanban.api.security import rate_limit
from kanban.api.security.authentication import CSRF_COOKIE, SESSION_COOKIE
from kanban.api.security.csrf import csrf_token, ensure_same_origin
from kanban.api.security.passwords import passwords_for
from kanban.api.security.principal import Principal

router = APIRouter(tags=["accounts"])


async def get_auth_policy(services: Services) -> handlers.AuthPolicy:
    settings = services.settings
    return handlers.AuthPolicy(
        passwords=passwords_for(settings),
        jwt_secret=settings.jwt_secret,
        access_token_minutes=settings.access_token_minutes,
        refresh_token_days=settings.refresh_token_days,
        session_lifetime=timedelta(days=settings.session_days),
        registrations_per_hour=settings.registrations_per_hour,
        signed_out=services.realtime.announce_sign_out,
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
    responses=problem_responses(409, 422, 429),
)
async def register(
    body: RegisterRequest, request: Request, response: Response, uow: Uow, policy: Policy
) -> AuthSession:
    """Create an account with its default board, and sign in.

    An existing email (in any letter case, or a look-alike such as Cyrillic `а` for `a`) is a 409;
    nothing is overwritten. Registrations are throttled per client address (429).
    """
    cmd = handlers.Register(email=body.email, password=body.password, name=body.name, timezone=body.timezone)
    signed_in = await handlers.register(cmd, uow, policy, client_address=_client_address(request))
    _remember_device(request, response, signed_in.user.email, policy)
    return _session(signed_in)


@router.post("/auth/login", response_model=AuthSession, responses=problem_responses(401, 422, 429))
async def login(body: LoginRequest, request: Request, response: Response, uow: Uow, policy: Policy) -> AuthSession:
    """Sign in with email and password.

    Accounts created by the legacy upsert without a password cannot sign in (401) until a
    password is set for them; registering their email again is refused (409).
    """
    signed_in = await handlers.login(_login(body, request), uow, policy)
    _remember_device(request, response, signed_in.user.email, policy)
    return _session(signed_in)


def _client_address(request: Request) -> str:
    # The peer, or the client a trusted proxy names (see kanban.web.proxies); never a header alone.
    return request.client.host if request.client else "unknown"


def _login(body: LoginRequest, request: Request) -> handlers.Login:
    return handlers.Login(
        email=body.email,
        password=body.password,
        client_address=_client_address(request),
        device=request.cookies.get(rate_limit.DEVICE_COOKIE),
    )


def _remember_device(request: Request, response: Response, email: str, policy: handlers.AuthPolicy) -> None:
    """The device cookie: this browser keeps its own sign-in budget if the account or address is throttled."""
    response.set_cookie(
        rate_limit.DEVICE_COOKIE,
        rate_limit.device_token(handlers.normalise_email(email), policy.jwt_secret),  # as the login checks it
        max_age=365 * 24 * 3600,
        path="/api/v1/auth",
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )


@router.post("/auth/refresh", response_model=TokenPair, responses=problem_responses(401, 422))
async def refresh(body: RefreshRequest, uow: Uow, policy: Policy) -> TokenPair:
    """Trade a refresh token (usable once) for a new access token and a new refresh token. Needs no access token."""
    return _tokens(await handlers.refresh(handlers.Refresh(refresh_token=body.refresh_token), uow, policy))


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT, responses=problem_responses(401, 422))
async def logout(principal: CurrentPrincipal, uow: Uow, policy: Policy, body: LogoutRequest | None = None) -> None:
    """End this sign-in at once: its access tokens stop working, its refresh tokens and open streams too.

    The refresh token, when given, ends its own sign-in as well (it may belong to another device of yours).
    """
    cmd = handlers.Logout(
        user_id=principal.user_id,
        session_id=_revocable_id(principal),
        refresh_token=body.refresh_token if body else None,
    )
    await handlers.logout(cmd, uow, policy)


def _revocable_id(principal: Principal) -> str | None:
    return principal.credential_id if principal.kind in ("access", "session") else None


@router.post("/auth/session", response_model=CookieSessionOut, responses=problem_responses(401, 403, 422, 429))
async def start_session(
    body: LoginRequest, request: Request, response: Response, uow: Uow, policy: Policy, rules: SessionRules
) -> CookieSessionOut:
    """Sign the browser in: sets the `kanban_session` (HttpOnly) and `kanban_csrf` cookies.

    Throttled like /auth/login. Unsafe requests made with the cookie must send `X-CSRF-Token`
    (or the form field `csrf_token`) equal to the `kanban_csrf` cookie, also answered as `csrfToken`.
    """
    ensure_same_origin(request)
    started = await handlers.start_browser_session(_login(body, request), uow, policy)
    _remember_device(request, response, started.user.email, policy)
    csrf = csrf_token(started.session_id, rules.secret)
    secure = request.url.scheme == "https"
    lifetime = int(rules.session_lifetime.total_seconds())
    response.set_cookie(
        SESSION_COOKIE, started.cookie, max_age=lifetime, path="/", secure=secure, httponly=True, samesite="lax"
    )
    response.set_cookie(CSRF_COOKIE, csrf, max_age=lifetime, path="/", secure=secure, httponly=False, samesite="strict")
    return CookieSessionOut(user=_user(started.user), expires_at=started.expires_at, csrf_token=csrf)


@router.get("/auth/session", response_model=CookieSessionOut, responses=problem_responses(401))
async def current_session(principal: CurrentPrincipal, uow: Uow, rules: SessionRules) -> CookieSessionOut:
    """Who is signed in (cookie or bearer), until when, and the CSRF token of a cookie session."""
    csrf = csrf_token(principal.credential_id, rules.secret) if principal.kind == "session" else None
    user = _user(await handlers.get_profile(principal.user_id, uow))
    return CookieSessionOut(user=user, expires_at=principal.expires_at, csrf_token=csrf)


@router.delete("/auth/session", status_code=status.HTTP_204_NO_CONTENT, responses=problem_responses(403))
async def end_session(
    request: Request, response: Response, services: Services, uow: Uow, policy: Policy, rules: SessionRules
) -> None:
    """Sign the browser out: the session row is revoked and both cookies cleared. Without a live session, only clears."""
    cookie = request.cookies.get(SESSION_COOKIE)
    principal: Principal | None = None
    if cookie:
        try:
            principal = await authenticate(request, services, rules, None, cookie)  # the CSRF check included
        except Unauthorized:
            principal = None
    if principal is not None:
        await handlers.logout(
            handlers.Logout(user_id=principal.user_id, session_id=principal.credential_id), uow, policy
        )
    secure = request.url.scheme == "https"
    for name, httponly, samesite in ((SESSION_COOKIE, True, "lax"), (CSRF_COOKIE, False, "strict")):
        response.delete_cookie(name, path="/", secure=secure, httponly=httponly, samesite=samesite)  # type: ignore[arg-type]


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

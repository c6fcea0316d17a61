"""Request dependencies, as Annotated aliases: the services, a unit of work, the current principal."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from kanban.api.access_tokens.handlers import from_personal_token, is_personal_token
from kanban.api.bootstrap import ApiServices
from kanban.api.errors import Forbidden, Unauthorized
from kanban.api.security import authentication
from kanban.api.security.csrf import ensure_csrf
from kanban.api.security.principal import Principal
from kanban.api.security.scopes import token_allows
from kanban.messaging.unit_of_work import UnitOfWork

_bearer = HTTPBearer(auto_error=False, description="An access token from /api/v1/auth/login")
_cookie = APIKeyCookie(
    name=authentication.SESSION_COOKIE,
    auto_error=False,
    description="The browser session from POST /api/v1/auth/session; unsafe methods also need X-CSRF-Token",
)


# Every dependency is `async def`: FastAPI runs a plain `def` dependency on a worker thread, a
# thread hop per dependency per request for what is an attribute read.
def get_services_of(request: Request) -> ApiServices:
    return request.app.state.services  # type: ignore[no-any-return]


async def get_services(request: Request) -> ApiServices:
    return get_services_of(request)


Services = Annotated[ApiServices, Depends(get_services)]


async def get_unit_of_work(request: Request) -> AsyncIterator[UnitOfWork]:
    async with get_services_of(request).new_unit_of_work() as uow:
        yield uow


Uow = Annotated[UnitOfWork, Depends(get_unit_of_work)]


async def get_session_rules(services: Services) -> authentication.SessionRules:
    return services.session_rules


SessionRules = Annotated[authentication.SessionRules, Depends(get_session_rules)]


async def authenticate(
    request: Request, services: ApiServices, rules: authentication.SessionRules, bearer: str | None, cookie: str | None
) -> Principal:
    """A bearer token wins over the cookie; a cookie session must pass the CSRF check on unsafe methods.

    A personal access token is a bearer too; it gets only what its scopes allow (security/scopes.py).
    """
    if bearer and is_personal_token(bearer):
        principal = await from_personal_token(services.engine, bearer)
        if not token_allows(principal.scopes, request.method, request.url.path):
            raise Forbidden(f"this token's scopes ({' '.join(sorted(principal.scopes))}) do not allow this request")
        return principal
    if bearer:
        return await authentication.from_access_token(services.engine, bearer, rules)
    if cookie:
        principal = await authentication.from_session_cookie(services.engine, cookie, rules)
        await ensure_csrf(request, principal.credential_id, rules.secret)
        return principal
    raise Unauthorized("a bearer access token or a session cookie is required")


async def get_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    cookie: Annotated[str | None, Depends(_cookie)],
) -> Principal:
    # The services are read here, not declared: each declared dependency is a node FastAPI solves
    # on every request, and this one runs on nearly all of them.
    services = get_services_of(request)
    bearer = credentials.credentials if credentials is not None and credentials.scheme.lower() == "bearer" else None
    return await authenticate(request, services, services.session_rules, bearer, cookie)


# Resolved once per request, on a short connection of its own: declare it before `Uow` in a route,
# so that the lookup has returned its connection before the unit of work takes one.
CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


async def get_current_user_id(principal: CurrentPrincipal) -> str:
    return principal.user_id


CurrentUserId = Annotated[str, Depends(get_current_user_id)]

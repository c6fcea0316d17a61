"""Request dependencies, as Annotated aliases: the services, a unit of work, the current user."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from kanban.api.bootstrap import ApiServices
from kanban.api.errors import Unauthorized
from kanban.api.security.tokens import user_id_from_access_token
from kanban.messaging.unit_of_work import UnitOfWork

_bearer = HTTPBearer(auto_error=False, description="An access token from /api/v1/auth/login")


def get_services(request: Request) -> ApiServices:
    return request.app.state.services  # type: ignore[no-any-return]


Services = Annotated[ApiServices, Depends(get_services)]


async def get_unit_of_work(services: Services) -> AsyncIterator[UnitOfWork]:
    async with services.new_unit_of_work() as uow:
        yield uow


Uow = Annotated[UnitOfWork, Depends(get_unit_of_work)]


def get_current_user_id(
    services: Services, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> str:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("a bearer access token is required")
    return user_id_from_access_token(credentials.credentials, services.settings.jwt_secret)


CurrentUserId = Annotated[str, Depends(get_current_user_id)]

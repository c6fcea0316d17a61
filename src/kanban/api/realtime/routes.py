"""GET /boards/{boardId}/stream: the board's server-sent events for its owner.

Browsers' EventSource cannot send headers, so the stream also accepts the session cookie (sent on
the same origin) or the access token as `?accessToken=`. The stream opens with a `ready` event
(sent once subscribed, so nothing published after it is missed), sends a comment every
`KEEPALIVE_SECONDS` to keep proxies from closing it, and ends when the client leaves, the service
stops, or its sign-in ends: at once when told of a sign-out, at the credential's expiry, and at
the latest on the next keepalive's re-check. It then sends `signed-out` and closes.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from kanban.api.deps import Services, SessionRules, authenticate
from kanban.api.ownership import owned_board
from kanban.api.problems import problem_responses
from kanban.api.realtime.hub import RECHECK_SIGN_IN, BoardMessage, RealtimeHub
from kanban.api.security.authentication import SESSION_COOKIE, still_signed_in
from kanban.api.security.principal import Principal
from kanban.db.engine import read_only_connection
from kanban.db.types import utcnow

router = APIRouter(tags=["realtime"])
_bearer = HTTPBearer(auto_error=False)
_cookie = APIKeyCookie(name=SESSION_COOKIE, auto_error=False)
KEEPALIVE_SECONDS = 15.0
SIGNED_OUT = "event: signed-out\ndata: {}\n\n"


def format_event(message: BoardMessage) -> str:
    return f"id: {message.id}\nevent: {message.event}\ndata: {json.dumps(message.data, separators=(',', ':'))}\n\n"


async def board_events(
    hub: RealtimeHub, board_id: str, principal: Principal, signed_in: Callable[[], Awaitable[bool]]
) -> AsyncIterator[str]:
    async with hub.subscribe(board_id, principal.user_id) as queue:
        yield f"retry: 3000\nevent: ready\ndata: {json.dumps({'boardId': board_id})}\n\n"
        while True:
            left = (principal.expires_at - utcnow()).total_seconds()
            if left <= 0:
                yield SIGNED_OUT
                return
            try:
                message = await asyncio.wait_for(queue.get(), min(KEEPALIVE_SECONDS, left))
            except TimeoutError:
                # Also covers a sign-out notice lost between replicas (the fan-out is best-effort).
                if not await signed_in():
                    yield SIGNED_OUT
                    return
                yield ": keepalive\n\n"
                continue
            if message is None:
                return
            if message.event == RECHECK_SIGN_IN:
                if not await signed_in():
                    yield SIGNED_OUT
                    return
                continue
            yield format_event(message)


@router.get(
    "/boards/{boardId}/stream",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "Server-sent events of the board"},
        **problem_responses(401, 404),
    },
)
async def board_stream(
    boardId: str,
    request: Request,
    services: Services,
    rules: SessionRules,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    cookie: Annotated[str | None, Depends(_cookie)],
    access_token: Annotated[str | None, Query(alias="accessToken")] = None,
) -> StreamingResponse:
    bearer = credentials.credentials if credentials is not None else access_token
    principal = await authenticate(request, services, rules, bearer, cookie)
    async with read_only_connection(services.engine) as conn:
        await owned_board(conn, boardId, principal.user_id)

    async def signed_in() -> bool:
        async with read_only_connection(services.engine) as conn:
            return await still_signed_in(conn, principal, rules)

    return StreamingResponse(
        board_events(services.realtime, boardId, principal, signed_in),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )

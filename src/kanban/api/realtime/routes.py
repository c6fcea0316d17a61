"""GET /boards/{boardId}/stream: the board's server-sent events for its owner.

Browsers' EventSource cannot send headers, so the access token may also come as `?accessToken=`.
The stream opens with a `ready` event (sent once subscribed, so nothing published after it is
missed), sends a comment every `KEEPALIVE_SECONDS` to keep proxies from closing it, and ends when
the client leaves or the service stops.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from kanban.api.deps import Services
from kanban.api.errors import Unauthorized
from kanban.api.ownership import owned_board
from kanban.api.problems import problem_responses
from kanban.api.realtime.hub import BoardMessage, RealtimeHub
from kanban.api.security.tokens import user_id_from_access_token

router = APIRouter(tags=["realtime"])
_bearer = HTTPBearer(auto_error=False)
KEEPALIVE_SECONDS = 15.0


def format_event(message: BoardMessage) -> str:
    return f"id: {message.id}\nevent: {message.event}\ndata: {json.dumps(message.data, separators=(',', ':'))}\n\n"


async def board_events(hub: RealtimeHub, board_id: str) -> AsyncIterator[str]:
    async with hub.subscribe(board_id) as queue:
        yield f"retry: 3000\nevent: ready\ndata: {json.dumps({'boardId': board_id})}\n\n"
        while True:
            try:
                message = await asyncio.wait_for(queue.get(), KEEPALIVE_SECONDS)
            except TimeoutError:
                yield ": keepalive\n\n"
                continue
            if message is None:
                return
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
    services: Services,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    access_token: Annotated[str | None, Query(alias="accessToken")] = None,
) -> StreamingResponse:
    token = credentials.credentials if credentials is not None else access_token
    if not token:
        raise Unauthorized("a bearer access token (or ?accessToken=) is required")
    user_id = user_id_from_access_token(token, services.settings.jwt_secret)
    async with services.engine.connect() as conn:
        await owned_board(conn, boardId, user_id)
    return StreamingResponse(
        board_events(services.realtime, boardId),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )

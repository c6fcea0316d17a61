"""A cap on request bodies, enforced while they arrive: a declared or streamed excess is a 413 problem.

Pydantic's limits only run once a body is parsed, which for a 100 MB body is already too late.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kanban.web.problems import problem


def _too_large_detail(max_bytes: int) -> str:
    return f"the request body is larger than {max_bytes} bytes (maxBodyBytes)"


class BodySizeLimitMiddleware:
    """At most `max_bytes` per request body, except under `exempt_prefixes` (the internal events
    endpoint: its peer is authenticated by the shared secret before the body is read, and a batch
    of 500 events may well exceed what a person's request needs)."""

    def __init__(self, app: ASGIApp, max_bytes: int, exempt_prefixes: tuple[str, ...] = ()) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.exempt_prefixes = exempt_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or (
            self.exempt_prefixes and str(scope.get("path", "")).startswith(self.exempt_prefixes)
        ):
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            response = problem(
                413, "Content too large", _too_large_detail(self.max_bytes), limit="maxBodyBytes", max=self.max_bytes
            )
            await response(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # Raised inside the app's body read: FastAPI passes HTTPExceptions through to the
                    # problem handlers, so a chunked body that grows too large is a 413 as well.
                    raise HTTPException(413, _too_large_detail(self.max_bytes))
            return message

        await self.app(scope, counting_receive, send)

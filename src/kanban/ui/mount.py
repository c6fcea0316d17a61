"""Puts the UI on the API's app: the pages at `/`, the static files (compressed, cached by content hash)."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.middleware.gzip import GZipMiddleware
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kanban.ui import analytics_routes, capture_routes, rules_routes
from kanban.ui.render import STATIC_DIR
from kanban.ui.routes import router

YEAR = 31_536_000


class _Immutable:
    """A static URL with its content hash (`?v=`) may be kept for a year; one without it is asked
    again each time (a 304 when unchanged): modules imported by other modules (`./api.js`) have no
    hash, and a year's cache would mix a new page's scripts with an old release's imports."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        hashed = any(part.startswith(b"v=") for part in scope.get("query_string", b"").split(b"&"))
        policy = f"public, max-age={YEAR}, immutable" if hashed else "no-cache"

        async def send_cached(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] in (200, 304):
                message.setdefault("headers", [])
                message["headers"].append((b"cache-control", policy.encode()))
            await send(message)

        await self.app(scope, receive, send_cached)


def install_ui(app: FastAPI) -> None:
    app.include_router(router)
    app.include_router(analytics_routes.router)
    app.include_router(capture_routes.router)
    app.include_router(rules_routes.router)
    app.mount("/static", _Immutable(GZipMiddleware(StaticFiles(directory=STATIC_DIR), minimum_size=500)), name="static")

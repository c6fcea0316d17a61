"""Puts the UI on the API's app: the pages at `/`, the static files (compressed, cached by content hash)."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.middleware.gzip import GZipMiddleware
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kanban.ui.render import STATIC_DIR
from kanban.ui.routes import router
from kanban.ui.rules_routes import router as rules_router

YEAR = 31_536_000


class _Immutable:
    """Static URLs carry their content hash (`?v=`), so a browser may keep each file for a year."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_cached(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 200:
                message.setdefault("headers", [])
                message["headers"].append((b"cache-control", f"public, max-age={YEAR}, immutable".encode()))
            await send(message)

        await self.app(scope, receive, send_cached)


def install_ui(app: FastAPI) -> None:
    app.include_router(router)
    app.include_router(rules_router)
    app.mount("/static", _Immutable(GZipMiddleware(StaticFiles(directory=STATIC_DIR), minimum_size=500)), name="static")

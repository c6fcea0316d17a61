"""Forwarded headers are believed only from the proxies the operator names (KANBAN_TRUSTED_PROXIES).

Without this, any client could claim any address in X-Forwarded-For and slip past per-client
sign-in limits, or claim https. Uvicorn's own proxy handling is switched off where we start it
(its default trusts 127.0.0.1, which on one machine is every client); the app applies uvicorn's
middleware itself, with the configured list, so it behaves the same under any server.
"""

from __future__ import annotations

from starlette.applications import Starlette
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware


def trust_proxies(app: Starlette, trusted: tuple[str, ...]) -> None:
    """Read the client's address and scheme from forwarded headers sent by `trusted` peers only.

    Call it last, so it is the outermost middleware and everything inside sees the real client.
    """
    if trusted:
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=list(trusted))  # type: ignore[arg-type]

"""Security headers on every response of both services' listeners, and `no-store` where credentials pass.

The CSP is strict on purpose: no inline script or style, no eval, nothing from another origin.
The web UI is built to live with it (no inline handlers, no `style=` attributes, htmx without
indicator styles); relaxing it is a decision to record, not a line to edit.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; "
    "manifest-src 'self'; worker-src 'self'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


class SecurityHeadersMiddleware:
    """Adds SECURITY_HEADERS where a response has not set its own, `Cache-Control: no-store` on
    every response under `no_store_prefixes` (tokens, session cookies, the profile), and the
    policy of `policy_overrides` on those exact paths."""

    def __init__(
        self, app: ASGIApp, no_store_prefixes: Iterable[str] = (), policy_overrides: dict[str, str] | None = None
    ) -> None:
        self.app = app
        self.no_store_prefixes = tuple(no_store_prefixes)
        self.policy_overrides = dict(policy_overrides or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        no_store = path.startswith(self.no_store_prefixes) if self.no_store_prefixes else False
        policy = self.policy_overrides.get(path)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    if name not in headers:
                        headers[name] = value
                if policy is not None:
                    headers["Content-Security-Policy"] = policy
                if no_store:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)

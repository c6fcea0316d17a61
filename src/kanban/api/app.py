"""The API's ASGI application: routes under /api/v1, problem responses, metrics, the events endpoint."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from uuid import UUID, uuid4

from fastapi import FastAPI
from starlette.requests import Request as StarletteRequest
from starlette.types import ASGIApp, Receive, Scope, Send

from kanban.api import limits
from kanban.api.bootstrap import ApiServices, build_api_services
from kanban.api.problems import install_problem_handlers
from kanban.api.routers import include_routers
from kanban.messaging.correlation import Causality, reset_causality, set_causality
from kanban.messaging.transports.base import Transport
from kanban.messaging.transports.http import EVENTS_PATH, HttpTransport, events_route
from kanban.messaging.transports.memory import MemoryHub
from kanban.settings import Settings
from kanban.ui.mount import install_ui
from kanban.web.body_limit import BodySizeLimitMiddleware
from kanban.web.health import database_check, health_routes, transport_check
from kanban.web.metrics import MetricsMiddleware, metrics_route
from kanban.web.proxies import trust_proxies
from kanban.web.security_headers import SecurityHeadersMiddleware

log = logging.getLogger(__name__)
API_PREFIX = "/api/v1"


class CorrelationMiddleware:
    """Every request gets a correlation id (X-Request-ID when given) that its events carry."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers", [])).get(b"x-request-id", b"").decode(errors="ignore")
        try:
            correlation = UUID(given)
        except ValueError:
            correlation = uuid4()
        token = set_causality(Causality(correlation))
        try:
            await self.app(scope, receive, send)
        finally:
            reset_causality(token)


def create_app(settings: Settings, *, transport: Transport | None = None, hub: MemoryHub | None = None) -> FastAPI:
    services: ApiServices = build_api_services(settings, transport, hub)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        log.info("API service using database %s (transport %s)", settings.database.redacted(), settings.transport)
        await services.start()
        try:
            yield
        finally:
            await services.stop()

    app = FastAPI(
        title="Personal Kanban API",
        version="1.0.0",
        description="A GTD Kanban board whose Worker proposes hints. Errors are application/problem+json.",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,  # the UI serves /api/v1/docs from vendored files (no CDN, no inline script)
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.services = services
    install_problem_handlers(app)
    app.add_middleware(CorrelationMiddleware)
    app.add_middleware(MetricsMiddleware, service="api")
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=limits.MAX_BODY_BYTES, exempt_prefixes=(EVENTS_PATH,))
    # Tokens, cookies and the profile must not be kept by any cache on the way.
    app.add_middleware(
        SecurityHeadersMiddleware,
        no_store_prefixes=(f"{API_PREFIX}/auth/", f"{API_PREFIX}/users/me"),
    )
    trust_proxies(app, settings.trusted_proxies)

    def checks(_: StarletteRequest) -> dict:  # type: ignore[type-arg]
        return {"database": database_check(services.engine)}

    def peers(_: StarletteRequest) -> dict:  # type: ignore[type-arg]
        return {services.messaging.peer_name: transport_check(services.messaging.transport)}

    for route in health_routes(API_PREFIX, checks, "api", peers) + health_routes("", checks, "api", peers):
        app.router.routes.append(route)
    app.router.routes.append(metrics_route(settings.metrics_token))
    if isinstance(services.messaging.transport, HttpTransport):
        app.router.routes.append(events_route(services.messaging.transport, settings.events_secret))
    include_routers(app, API_PREFIX)
    install_ui(app)
    return app

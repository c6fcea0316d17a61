"""The Worker process: consumes events, runs jobs, relays its outbox, and serves health and metrics.

SIGTERM or SIGINT stops it cleanly: no new job is claimed, running jobs finish (or their lease is
released for another worker), the relay and the inbox stop between two transactions.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Iterator

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request

from kanban.messaging.transports.http import HttpTransport, events_route
from kanban.settings import Settings
from kanban.web.health import database_check, health_routes, transport_check
from kanban.web.listener import LISTENER_OPTIONS
from kanban.web.metrics import MetricsMiddleware, metrics_route
from kanban.web.problems import listener_problem_handlers
from kanban.web.proxies import trust_proxies
from kanban.web.security_headers import SecurityHeadersMiddleware
from kanban.worker.bootstrap import WorkerServices, build_worker_services
from kanban.worker.jobs.runner import JobRunner

log = logging.getLogger(__name__)
API_PREFIX = "/api/v1"


def create_listener_app(services: WorkerServices) -> Starlette:
    """The Worker's small HTTP listener: health, metrics and (for the http transport) the events endpoint."""

    def checks(_: Request) -> dict:  # type: ignore[type-arg]
        return {"database": database_check(services.engine)}

    def peers(_: Request) -> dict:  # type: ignore[type-arg]
        return {services.messaging.peer_name: transport_check(services.messaging.transport)}

    routes = health_routes(API_PREFIX, checks, "worker", peers) + health_routes("", checks, "worker", peers)
    routes.append(metrics_route(services.settings.metrics_token))
    transport = services.messaging.transport
    if isinstance(transport, HttpTransport):
        routes.append(events_route(transport, services.settings.events_secret))
    app = Starlette(routes=routes, exception_handlers=listener_problem_handlers())
    app.add_middleware(MetricsMiddleware, service="worker")
    app.add_middleware(SecurityHeadersMiddleware)
    trust_proxies(app, services.settings.trusted_proxies)
    return app


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # The worker (or its host, `kanban serve`) owns signal handling: one stop for the listener,
        # the jobs and the relay. uvicorn would otherwise take SIGINT and SIGTERM for the listener.
        yield


async def serve_worker(
    settings: Settings, services: WorkerServices | None = None, stop: asyncio.Event | None = None
) -> None:
    """Serve until SIGTERM or SIGINT, or, when its host passes `stop`, until that is set (the host owns signals)."""
    services = services or build_worker_services(settings)
    log.info("Worker service using database %s (transport %s)", settings.database.redacted(), settings.transport)
    if stop is None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)

    server = _Server(
        uvicorn.Config(
            create_listener_app(services),
            host=settings.host,
            port=settings.port,
            lifespan="off",
            timeout_graceful_shutdown=3,
            **LISTENER_OPTIONS,
        )
    )
    runner = JobRunner(services)
    await services.messaging.start()
    listener = asyncio.create_task(server.serve(), name="worker-listener")
    jobs = asyncio.create_task(runner.run(stop), name="worker-jobs")
    log.info("Worker listening on %s:%s", settings.host, settings.port)
    try:
        await stop.wait()
        log.info("Worker stopping: finishing in-flight jobs")
    finally:
        await jobs
        await services.messaging.stop()
        server.should_exit = True
        await listener
        await services.engine.dispose()
        log.info("Worker stopped")

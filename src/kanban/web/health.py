"""Liveness and readiness. Ready means "this service can serve": its own database answers.

Its peers (the other service over the http transport, the broker over nats) are checked and
reported beside it, and in the `kanban_peer_up` metric, but a peer being away never makes the
service unready: events wait in the outbox until it is back, and a load balancer must not drop an
API that serves requests fine because the Worker is restarting.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from kanban.db.async_core import AsyncEngine
from kanban.db.engine import read_only_connection
from kanban.messaging.metrics import PEER_UP
from kanban.messaging.transports.base import Transport

Check = Callable[[], Awaitable[None]]


def database_check(engine: AsyncEngine) -> Check:
    async def check() -> None:
        async with read_only_connection(engine) as conn:
            await conn.execute(text("SELECT 1"))

    return check


def transport_check(transport: Transport) -> Check:
    return transport.check


async def run_checks(checks: dict[str, Check], timeout: float = 3.0) -> dict[str, str]:
    """'ok' or a one-line reason for each named check."""
    results: dict[str, str] = {}
    for name, check in checks.items():
        try:
            await asyncio.wait_for(check(), timeout)
            results[name] = "ok"
        except TimeoutError:
            results[name] = f"timed out after {timeout:.0f}s"
        except Exception as exc:  # a health check reports any failure, it never raises
            results[name] = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}".strip(": ")
    return results


def health_routes(
    prefix: str,
    checks: Callable[[Request], dict[str, Check]],
    service: str,
    peers: Callable[[Request], dict[str, Check]] | None = None,
) -> list[Route]:
    """`checks` decide readiness; `peers` are reported (body and metric) without deciding it."""

    async def live(_: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "service": service})

    async def ready(request: Request) -> JSONResponse:
        results = await run_checks(checks(request))
        peer_results = await run_checks(peers(request)) if peers is not None else {}
        for peer, result in peer_results.items():
            PEER_UP.labels(service, peer).set(1 if result == "ok" else 0)
        failing = [name for name, result in results.items() if result != "ok"]
        if failing:
            return JSONResponse(
                {
                    "type": "about:blank",
                    "title": "Not ready",
                    "status": 503,
                    "detail": "failing: " + ", ".join(failing),
                    "service": service,
                    "checks": results,
                    "peers": peer_results,
                },
                status_code=503,
                media_type="application/problem+json",
            )
        away = [name for name, result in peer_results.items() if result != "ok"]
        body = {"status": "degraded" if away else "ok", "service": service, "checks": results, "peers": peer_results}
        if away:
            body["detail"] = "serving; away: " + ", ".join(away)
        return JSONResponse(body)

    return [
        Route(f"{prefix}/health/live", live, methods=["GET"]),
        Route(f"{prefix}/health/ready", ready, methods=["GET"]),
    ]

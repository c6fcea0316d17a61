"""Prometheus metrics: request counts and latencies, and the /metrics endpoint.

/metrics tells a visitor the routes, the traffic and the errors: it answers only loopback peers,
or, when KANBAN_METRICS_TOKEN is set, whoever sends that token as a bearer (a scraper elsewhere).
"""

from __future__ import annotations

import hmac
import ipaddress
import time

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from kanban.web.problems import problem

HTTP_REQUESTS = Counter("kanban_http_requests_total", "HTTP requests", ["service", "method", "route", "status"])
HTTP_LATENCY = Histogram(
    "kanban_http_request_seconds",
    "HTTP request latency",
    ["service", "method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)


def _route_template(scope: Scope) -> str:
    """The template of the route that served the request ("/api/v1/tasks/{taskId}/move"), so a label
    counts a route, not every task id; "unmatched" for a request no route took (a 404).

    An included router leaves the route it chose in the scope; that route knows its path without the
    router's prefix, which is the request path's segments in front of those the template matched (a
    template whose parameter spans segments is kept as it is). A route of the app itself (the health
    checks) is found among the app's own routes.
    """
    template = getattr(scope.get("route"), "path", None)
    if not isinstance(template, str):
        return _app_route_template(scope)
    path: str = scope.get("path", "")
    extra = path.count("/") - template.count("/")
    if extra <= 0 or ":path}" in template:
        return template
    return "/".join(path.split("/")[: extra + 1]) + template


def _app_route_template(scope: Scope) -> str:
    for route in getattr(getattr(scope.get("app"), "router", None), "routes", []):
        if isinstance(route, Route) and route.matches(scope)[0] == Match.FULL:
            return route.path
    mounted = scope.get("root_path", "")  # a mounted app (the static files) serves below its mount
    return f"{mounted}/{{path}}" if mounted else "unmatched"


class MetricsMiddleware:
    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = {"code": 500}

        async def send_wrapper(message: dict) -> None:  # type: ignore[type-arg]
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)  # type: ignore[arg-type]
        finally:
            route = _route_template(scope)
            method = scope.get("method", "GET")
            HTTP_REQUESTS.labels(self.service, method, route, str(status["code"])).inc()
            HTTP_LATENCY.labels(self.service, method, route).observe(time.perf_counter() - start)


def _loopback(request: Request) -> bool:
    try:
        return request.client is not None and ipaddress.ip_address(request.client.host).is_loopback
    except ValueError:
        return False


def metrics_route(token: str = "") -> Route:
    """GET /metrics, for loopback peers only, or for the bearer of `token` when one is set."""

    async def metrics_endpoint(request: Request) -> Response:
        if token:
            given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
            allowed = hmac.compare_digest(given.encode(), token.encode())
        else:
            allowed = _loopback(request)
        if not allowed:
            # 404, not 401: a stranger learns nothing, not even that metrics exist here.
            return problem(404, "Not found", "Not Found")
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return Route("/metrics", metrics_endpoint, methods=["GET"], include_in_schema=False)

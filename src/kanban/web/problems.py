"""application/problem+json (RFC 9457) responses, the one error shape of every listener.

The API maps its domain errors on top of this (kanban.api.problems); the Worker's small listener
uses `listener_problem_handlers` so its 404, 405 and 500 are problems too, never text/plain.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

log = logging.getLogger(__name__)
PROBLEM = "application/problem+json"
TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    413: "Content too large",
    422: "Validation failed",
    429: "Too many requests",
}


def problem(
    status: int, title: str, detail: str | None = None, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    headers = dict(headers or {})
    if "retryAfter" in extra:
        headers["Retry-After"] = str(extra["retryAfter"])
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers or None)


async def _http_problem(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return problem(
        exc.status_code, TITLES.get(exc.status_code, "Error"), str(exc.detail), headers=dict(exc.headers or {})
    )


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return problem(500, "Internal server error", "the error was logged")


def listener_problem_handlers() -> dict[Any, Any]:
    """`exception_handlers=` for a plain Starlette app."""
    return {HTTPException: _http_problem, Exception: _unexpected}

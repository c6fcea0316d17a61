"""Every error leaves the API as application/problem+json (RFC 9457); one module maps them."""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from kanban.api.errors import DomainError, RateLimited
from kanban.web.problems import PROBLEM, TITLES, problem

log = logging.getLogger(__name__)


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def _allowed_methods(request: Request) -> str:
    """Every method some route accepts on this path: Starlette names only the first route's."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches({**request.scope, "method": "GET"})
        if match != Match.NONE:
            methods |= set(getattr(route, "methods", None) or ())
    return ", ".join(sorted(methods))


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError) -> JSONResponse:
        extra = dict(exc.extra)
        if isinstance(exc, RateLimited):
            extra.setdefault("retryAfter", 60)
        return problem(exc.status, exc.title, exc.detail, **extra)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        if any(e.get("type") == "json_invalid" for e in exc.errors()):
            # The OpenAPI document promises a 400 for this, not a 422 naming a character position.
            return problem(400, "Bad request", "the body is not well-formed JSON")
        errors = [{"field": _field_name(tuple(e["loc"])), "message": e["msg"]} for e in exc.errors()]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
        return problem(422, "Validation failed", detail, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 405:
            return problem(405, "Method not allowed", str(exc.detail), headers={"Allow": _allowed_methods(request)})
        # Keep the exception's headers: a 405 must say which methods are allowed (Allow).
        return problem(
            exc.status_code, TITLES.get(exc.status_code, "Error"), str(exc.detail), headers=dict(exc.headers or {})
        )

    @app.exception_handler(DBAPIError)
    async def _database(request: Request, exc: DBAPIError) -> JSONResponse:
        # The lock order makes deadlocks impossible among our own statements; should the server still
        # pick this transaction as a victim (or a serializable read fail), nothing was written: say so.
        if _sqlstate(exc) in TRANSIENT_SQLSTATES:
            log.warning("transient database conflict on %s %s: %s", request.method, request.url.path, exc.orig)
            return problem(409, "Concurrent change", "another change got in the way; nothing was written, retry",
                           retryAfter=1)  # fmt: skip
        if _sqlite_busy(exc):
            # Another writer (a backup, a migration, a second process) held SQLite past the busy timeout.
            log.warning("database busy on %s %s: %s", request.method, request.url.path, exc.orig)
            return problem(503, "Database busy", "the database is busy; nothing was written, retry", retryAfter=1)
        return await _unexpected(request, exc)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem(500, "Internal server error", "the error was logged")


# deadlock_detected, serialization_failure, lock_not_available
TRANSIENT_SQLSTATES = frozenset({"40P01", "40001", "55P03"})


def _sqlite_busy(exc: DBAPIError) -> bool:
    orig = exc.orig
    return isinstance(orig, sqlite3.OperationalError) and str(orig).startswith(
        ("database is locked", "database is busy")
    )


def _sqlstate(exc: DBAPIError) -> str | None:
    orig = exc.orig
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    cause = getattr(orig, "__cause__", None)
    return code or getattr(cause, "sqlstate", None)


class ProblemField(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """The application/problem+json body (RFC 9457) of every error response, for the OpenAPI document."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    field: str | None = None
    errors: list[ProblemField] | None = None
    retryAfter: int | None = None  # noqa: N815 - the wire name; seconds to wait, also in Retry-After


_DESCRIPTIONS = {
    400: "The body is not well-formed JSON",
    401: "Not signed in, or the token is not valid",
    403: "Refused: a cookie-authenticated change without its CSRF token, or from another origin",
    404: "Not found, or not yours",
    409: "Conflicts with the current state; `detail` says how",
    412: "The If-Match version is stale",
    413: "The request body is larger than the limit (`maxBodyBytes`)",
    422: "A field is invalid; `field` or `errors` names it",
    428: "An If-Match header is required",
    429: "Too many requests; wait `Retry-After` seconds",
}


def problem_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of a route: each listed status documented as a problem+json body."""
    return {code: {"model": Problem, "description": _DESCRIPTIONS[code], "content": {PROBLEM: {}}} for code in codes}

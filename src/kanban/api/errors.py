"""The API's domain errors: named for what happened, each knows its HTTP status and title."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status: int = 400
    title: str = "Bad request"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class NotFound(DomainError):
    status = 404
    title = "Not found"


class Unauthorized(DomainError):
    status = 401
    title = "Unauthorized"


class Forbidden(DomainError):
    """Authenticated, but this request is refused (a missing CSRF token, a scope that does not allow it)."""

    status = 403
    title = "Forbidden"


class Conflict(DomainError):
    status = 409
    title = "Conflict"


class PreconditionFailed(DomainError):
    status = 412
    title = "Precondition failed"


class PreconditionRequired(DomainError):
    status = 428
    title = "Precondition required"


class InvalidInput(DomainError):
    """A request that is well-formed but breaks a domain rule; `field` names the culprit."""

    status = 422
    title = "Validation failed"


class WipLimitReached(Conflict):
    title = "WIP limit reached"


class RateLimited(DomainError):
    status = 429
    title = "Too many requests"

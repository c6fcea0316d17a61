"""CSRF defence for cookie-authenticated requests: a token bound to the session, and a same-origin check.

The token is an HMAC of the session id, so it cannot be forged without the server's secret and
dies with its session; the browser's page reads it from the `kanban_csrf` cookie and sends it back
in `X-CSRF-Token` (or the `csrf_token` form field). Bearer requests need none: a browser never
attaches an Authorization header on its own.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import parse_qs, urlsplit

from starlette.requests import Request

from kanban.api.errors import Forbidden

HEADER = "x-csrf-token"
FORM_FIELD = "csrf_token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
REFUSED = "CSRF token missing or wrong"
_URLENCODED = "application/x-www-form-urlencoded"


def csrf_token(session_id: str, secret: str) -> str:
    return hmac.new(secret.encode(), f"csrf:{session_id}".encode(), hashlib.sha256).hexdigest()


def request_origin(request: Request) -> str:
    """scheme://host[:port] of this request as the browser addressed it (scheme as trusted proxies say)."""
    host = request.headers.get("host") or (request.url.netloc)
    return f"{request.url.scheme}://{host}".lower()


def ensure_same_origin(request: Request) -> None:
    """Refuse a request whose Origin (or, without one, Referer) names another site. Absent both, allow."""
    origin = request.headers.get("origin")
    if origin is None:
        referer = request.headers.get("referer")
        if not referer:
            return
        parts = urlsplit(referer)
        origin = f"{parts.scheme}://{parts.netloc}"
    if origin.lower() != request_origin(request):
        raise Forbidden(REFUSED, reason="cross-origin request")


async def ensure_csrf(request: Request, session_id: str, secret: str) -> None:
    """For an unsafe method on a cookie session: the token must match the session's, the origin ours."""
    if request.method not in UNSAFE_METHODS:
        return
    ensure_same_origin(request)
    given = request.headers.get(HEADER)
    if given is None:
        given = await _form_field(request)
    if not given or not hmac.compare_digest(given, csrf_token(session_id, secret)):
        raise Forbidden(REFUSED)


async def _form_field(request: Request) -> str | None:
    """The `csrf_token` field of a form post. The body is cached on the request, so the route still reads it."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(_URLENCODED):
        fields = parse_qs((await request.body()).decode("latin-1"), max_num_fields=1000)
        values = fields.get(FORM_FIELD)
        return values[0] if values else None
    if content_type.startswith("multipart/form-data"):
        value = (await request.form()).get(FORM_FIELD)
        return value if isinstance(value, str) else None
    return None

"""The embedded default: each relay POSTs batches to the peer's internal events endpoint.

The endpoint commits the batch to its inbox before it answers 200, so a 200 means "stored".
It is bound to loopback by default and requires the shared secret as a bearer token.
"""

from __future__ import annotations

import hmac
import logging
import ssl
from collections.abc import Sequence

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from kanban.contracts.envelope import Envelope
from kanban.messaging.transports.base import Deliver, TransportRejected, TransportUnavailable

EVENTS_PATH = "/internal/events"

log = logging.getLogger(__name__)


class EventBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    events: list[Envelope]


def tls_for_peer(url: str) -> ssl.SSLContext | bool:
    """The TLS setting of the client that talks to the peer at `url`.

    An https peer is verified against the default CA bundle. A plain-http peer (the embedded
    default, on loopback) never negotiates TLS, so it gets a context that trusts no root at all
    instead of the bundle httpx would parse into memory for nothing (about 2 MiB per process); were
    TLS ever asked of it, verification would fail, never pass.
    """
    if httpx.URL(url).scheme == "https":
        return True
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # hostname check and certificate required, no roots


class HttpTransport:
    name = "http"

    def __init__(self, peer_events_url: str, secret: str, timeout_seconds: float = 10.0) -> None:
        self._url = peer_events_url
        self._secret = secret
        self._timeout = timeout_seconds
        self._client: httpx.AsyncClient | None = None
        self.deliver: Deliver | None = None

    async def start(self) -> None:
        self._client = httpx.AsyncClient(timeout=self._timeout, trust_env=False, verify=tls_for_peer(self._url))

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def publish(self, destination: str, envelopes: Sequence[Envelope]) -> None:
        if self._client is None:
            raise TransportUnavailable("http transport not started")
        body = EventBatch(events=list(envelopes)).model_dump_json()
        try:
            response = await self._client.post(
                self._url,
                content=body,
                headers={"Authorization": f"Bearer {self._secret}", "Content-Type": "application/json"},
            )
        except httpx.HTTPError as exc:
            raise TransportUnavailable(f"{destination} at {self._url}: {type(exc).__name__}") from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise TransportUnavailable(f"{destination} answered {response.status_code}")
        if response.status_code != 200:
            raise TransportRejected(f"{destination} refused the batch: {response.status_code} {response.text[:200]}")

    async def subscribe(self, consumer: str, deliver: Deliver) -> None:
        # Deliveries arrive through the events endpoint of this service's own HTTP listener.
        self.deliver = deliver

    async def check(self) -> None:
        if self._client is None:
            raise TransportUnavailable("http transport not started")
        health = self._url.replace(EVENTS_PATH, "/health/live")
        try:
            response = await self._client.get(health)
        except httpx.HTTPError as exc:
            raise TransportUnavailable(f"peer at {health} unreachable: {type(exc).__name__}") from exc
        if response.status_code != 200:
            raise TransportUnavailable(f"peer at {health} answered {response.status_code}")


def _problem(status: int, title: str, detail: str) -> Response:
    return JSONResponse(
        {"type": "about:blank", "title": title, "status": status, "detail": detail},
        status_code=status,
        media_type="application/problem+json",
    )


def events_route(transport: HttpTransport, secret: str) -> Route:
    """The receiving side: authenticate, validate, commit to the inbox, then answer."""

    async def receive(request: Request) -> Response:
        given = request.headers.get("authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {secret}".encode()):
            return _problem(401, "Unauthorized", "the events secret is missing or wrong")
        try:
            batch = EventBatch.model_validate_json(await request.body())
        except ValidationError as exc:
            return _problem(422, "Invalid event batch", str(exc.errors()[0]["msg"]))
        if transport.deliver is None:
            return _problem(503, "Not ready", "this service is not consuming events yet")
        try:
            await transport.deliver(batch.events)
        except Exception as exc:
            # Loop boundary of one batch: nothing was stored, the sender keeps it pending and retries.
            log.warning("events endpoint: storing %d event(s) failed: %r", len(batch.events), exc)
            return _problem(503, "Not stored", "the events could not be stored; retry later")
        return JSONResponse({"accepted": len(batch.events)})

    return Route(EVENTS_PATH, receive, methods=["POST"], include_in_schema=False)

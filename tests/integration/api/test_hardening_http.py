"""Weaker points of issue 10, against the running apps: headers, no-store, /metrics, problems everywhere,
trusted proxies, and bodies that are too large or not JSON."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from kanban.api.app import create_app
from kanban.db.urls import DatabaseUrl
from kanban.messaging.transports.memory import MemoryHub
from kanban.web.security_headers import CONTENT_SECURITY_POLICY
from kanban.worker.bootstrap import build_worker_services
from kanban.worker.service import create_listener_app
from tests.integration.api.conftest import ApiHarness
from tests.support.settings import settings_for

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; "
    "manifest-src 'self'; worker-src 'self'"
)
PASSWORD = "correct horse battery"


def assert_security_headers(response: httpx.Response) -> None:
    assert response.headers["content-security-policy"] == CSP
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cross-origin-opener-policy"] == "same-origin"


def test_the_policy_is_exactly_the_agreed_one() -> None:
    assert CONTENT_SECURITY_POLICY == CSP


async def test_every_api_response_carries_the_security_headers(api: ApiHarness) -> None:
    user = await api.make_user()
    for response in (
        await api.client.get("/health/live"),
        await api.client.get("/boards", headers=user),
        await api.client.get("/boards"),  # a 401 problem
        await api.client.get("/no-such-route"),  # a 404 problem
        await api.client.get("/openapi.json"),
    ):
        assert_security_headers(response)


async def test_the_api_docs_page_lives_with_the_strict_policy(api: ApiHarness) -> None:
    # Its Swagger UI is vendored and starts from a static file (the UI's ADR 14): no exception needed.
    docs = await api.client.get("/docs")
    assert docs.status_code == 200
    assert docs.headers["content-security-policy"] == CONTENT_SECURITY_POLICY


async def test_auth_responses_are_never_cached(api: ApiHarness) -> None:
    registered = await api.client.post("/auth/register", json={"email": "nc@example.test", "password": PASSWORD})
    refused = await api.client.post("/auth/login", json={"email": "nc@example.test", "password": "wrong password"})
    me = await api.client.get("/users/me", headers={"Authorization": f"Bearer {registered.json()['accessToken']}"})
    session = await api.client.post("/auth/session", json={"email": "nc@example.test", "password": PASSWORD})
    for response in (registered, refused, me, session):
        assert response.headers["cache-control"] == "no-store", response.request.url


@pytest.fixture
async def worker_listener(worker_db: DatabaseUrl) -> AsyncIterator[httpx.AsyncClient]:
    services = build_worker_services(settings_for("worker", None, worker_db), hub=MemoryHub())
    app = create_listener_app(services)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://worker") as client:
            yield client
    finally:
        await services.engine.dispose()


async def test_the_worker_listener_answers_problems_with_the_security_headers(
    worker_listener: httpx.AsyncClient,
) -> None:
    missing = await worker_listener.get("/nothing-here")
    wrong_method = await worker_listener.delete("/health/live")

    assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"
    assert missing.json()["title"] == "Not found"
    assert wrong_method.status_code == 405 and wrong_method.headers["content-type"] == "application/problem+json"
    for response in (missing, wrong_method, await worker_listener.get("/health/live")):
        assert_security_headers(response)


async def _client(app: object, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))  # type: ignore[arg-type]
    return httpx.AsyncClient(transport=transport, base_url="http://test")


async def test_metrics_answer_loopback_only_or_the_bearer_of_the_metrics_token(api_db: DatabaseUrl) -> None:
    open_app = create_app(settings_for("api", api_db, None), hub=MemoryHub())
    token_app = create_app(settings_for("api", api_db, None, KANBAN_METRICS_TOKEN="m" * 24), hub=MemoryHub())

    async with await _client(open_app, "127.0.0.1") as local, await _client(open_app, "203.0.113.9") as remote:
        assert (await local.get("/metrics")).status_code == 200
        refused = await remote.get("/metrics")
        assert refused.status_code == 404 and refused.headers["content-type"] == "application/problem+json"
        assert "kanban_http" not in refused.text
    async with await _client(token_app, "203.0.113.9") as remote:
        assert (await remote.get("/metrics")).status_code == 404
        assert (await remote.get("/metrics", headers={"Authorization": "Bearer wrong"})).status_code == 404
        allowed = await remote.get("/metrics", headers={"Authorization": f"Bearer {'m' * 24}"})
        assert allowed.status_code == 200 and "kanban_http_requests_total" in allowed.text


async def test_forwarded_headers_count_only_from_a_trusted_proxy(api_db: DatabaseUrl) -> None:
    """Without KANBAN_TRUSTED_PROXIES a forged X-Forwarded-For changes nothing; with it, the proxy's word counts."""
    forged = {"X-Forwarded-For": "198.51.100.7", "X-Forwarded-Proto": "https"}
    plain = create_app(settings_for("api", api_db, None), hub=MemoryHub())
    proxied = create_app(settings_for("api", api_db, None, KANBAN_TRUSTED_PROXIES="10.0.0.0/8"), hub=MemoryHub())

    async with await _client(plain, "127.0.0.1") as client:
        # Loopback may read metrics; a header claiming another address does not make it remote.
        assert (await client.get("/metrics", headers=forged)).status_code == 200
    async with await _client(proxied, "10.1.2.3") as via_proxy, await _client(proxied, "127.0.0.1") as direct:
        # The proxy's word counts: it says the client is local, then remote.
        assert (await via_proxy.get("/metrics", headers={"X-Forwarded-For": "127.0.0.1"})).status_code == 200
        # The proxy says the client is remote: metrics refused, as for any remote client.
        assert (
            await via_proxy.get("/metrics", headers={"X-Forwarded-For": "127.0.0.1, 198.51.100.7"})
        ).status_code == 404
        # A peer that is not a trusted proxy is not believed.
        assert (await direct.get("/metrics", headers=forged)).status_code == 200


async def test_a_body_over_the_cap_is_a_413_problem_naming_the_limit(api: ApiHarness) -> None:
    user = await api.make_user()
    board = (await api.client.post("/boards", json={"name": "B"}, headers=user)).json()
    huge = b'{"title": "x", "description": "' + b"a" * 2_000_000 + b'"}'

    declared = await api.client.post(
        f"/boards/{board['id']}/tasks", content=huge, headers={**user, "Content-Type": "application/json"}
    )

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(huge), 65536):
            yield huge[start : start + 65536]

    streamed = await api.client.post(
        f"/boards/{board['id']}/tasks", content=chunks(), headers={**user, "Content-Type": "application/json"}
    )
    for response in (declared, streamed):
        assert response.status_code == 413, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert "maxBodyBytes" in response.json()["detail"]
    assert (await api.client.get(f"/boards/{board['id']}/tasks", headers=user)).json()["total"] == 0


async def test_malformed_json_is_a_400_not_well_formed(api: ApiHarness) -> None:
    user = await api.make_user()
    board = (await api.client.post("/boards", json={"name": "B"}, headers=user)).json()
    for body in (b'{"title": "x"', b"{title: 'x'}", b'{"title": "x"}}', b"\xff\xfe"):
        response = await api.client.post(
            f"/boards/{board['id']}/tasks", content=body, headers={**user, "Content-Type": "application/json"}
        )
        assert response.status_code == 400, (body, response.text)
        assert response.json() == {
            "type": "about:blank",
            "title": "Bad request",
            "status": 400,
            "detail": "the body is not well-formed JSON",
        }


async def test_the_internal_events_endpoint_is_not_held_to_the_client_body_cap(api_db: DatabaseUrl) -> None:
    """A relay batch may exceed a person's request cap; the endpoint authenticates before it reads."""
    app = create_app(settings_for("api", api_db, None, KANBAN_TRANSPORT="http"), hub=MemoryHub())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        big = b"[" + b" " * 2_000_000 + b"]"
        reply = await client.post("/internal/events", content=big, headers={"Authorization": "Bearer wrong"})
    assert reply.status_code == 401

"""Findings 3 and 4 and the account weak points of issue 10, against the running app: registration and
sign-in throttling that a header cannot bypass and that cannot lock the owner out, bounded hashing,
email normal forms and look-alikes, the password policy, and the default board of a new account."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import select

from kanban.api.app import create_app
from kanban.api.security import passwords as passwords_module
from kanban.api.security.rate_limit import PER_CLIENT, PER_EMAIL
from kanban.api.tables import login_attempts, users
from kanban.db.urls import DatabaseUrl
from kanban.messaging.transports.memory import MemoryHub
from tests.integration.api.conftest import ApiHarness
from tests.support.settings import settings_for

PASSWORD = "correct horse battery"


def client_at(app: object, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 50000))  # type: ignore[arg-type]
    return httpx.AsyncClient(transport=transport, base_url="http://test/api/v1")


@pytest.fixture
async def app(api_db: DatabaseUrl) -> AsyncIterator[object]:
    app = create_app(settings_for("api", api_db, None, KANBAN_TRUSTED_PROXIES="10.0.0.1"), hub=MemoryHub())
    async with app.router.lifespan_context(app):
        yield app


async def register(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    return await client.post("/auth/register", json={"email": email, "password": password})


async def test_a_new_account_has_its_default_board_at_once(api: ApiHarness) -> None:
    session = (await register(api.client, "new@example.test")).json()
    auth = {"Authorization": f"Bearer {session['accessToken']}"}

    boards = (await api.client.get("/boards", headers=auth)).json()

    assert len(boards) == 1 and boards[0]["isDefault"] is True
    assert session["user"]["defaultBoardId"] == boards[0]["id"]
    assert (await api.client.get("/boards/default", headers=auth)).json()["id"] == boards[0]["id"]


async def test_registrations_are_throttled_per_client_address(app: object) -> None:
    async with client_at(app, "192.0.2.10") as noisy, client_at(app, "192.0.2.11") as other:
        for n in range(10):
            assert (await register(noisy, f"r{n}@example.test")).status_code == 201
        refused = await register(noisy, "r-more@example.test")
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
        assert (await register(other, "someone@example.test")).status_code == 201


async def test_parallel_registrations_hash_on_a_bounded_pool_and_others_are_served(
    app: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The attack: 24 parallel sign-ups. Hashing never runs on more threads than the pool has."""
    running, peak, lock = 0, 0, threading.Lock()
    real_hash = passwords_module.Passwords.hash

    def counting_hash(self: passwords_module.Passwords, password: str) -> str:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        try:
            return real_hash(self, password)
        finally:
            with lock:
                running -= 1

    monkeypatch.setattr(passwords_module.Passwords, "hash", counting_hash)
    clients = [client_at(app, f"192.0.2.{n}") for n in range(24)]
    try:
        async with client_at(app, "192.0.2.200") as reader:
            me = (await register(reader, "reader@example.test")).json()
            auth = {"Authorization": f"Bearer {me['accessToken']}"}
            results = await asyncio.gather(
                *(register(c, f"p{n}@example.test") for n, c in enumerate(clients)),
                reader.get("/boards", headers=auth),
            )
    finally:
        for c in clients:
            await c.aclose()
    assert all(r.status_code in (200, 201) for r in results), [r.status_code for r in results]
    assert 1 <= peak <= passwords_module._THREADS


async def test_forged_forwarded_headers_cannot_dodge_the_client_limit_and_the_owner_still_gets_in(app: object) -> None:
    """On one machine everyone is 127.0.0.1 and nobody is a trusted proxy: X-Forwarded-For is ignored."""
    async with client_at(app, "127.0.0.1") as owner_browser, client_at(app, "127.0.0.1") as attacker:
        await register(owner_browser, "owner@example.test")
        assert (
            await owner_browser.post("/auth/session", json={"email": "owner@example.test", "password": PASSWORD})
        ).status_code == 200
        assert "kanban_device" in owner_browser.cookies

        statuses = []
        for n in range(PER_CLIENT.max_failures + 1):
            headers = {"X-Forwarded-For": f"198.51.100.{n % 250}"}
            email = "owner@example.test" if n < PER_EMAIL.max_failures else f"spray{n}@example.test"
            reply = await attacker.post(
                "/auth/login", json={"email": email, "password": "wrong guess!"}, headers=headers
            )
            statuses.append(reply.status_code)
        assert statuses[-1] == 429, "the rotated header still counts against the one real client"
        assert (
            await attacker.post("/auth/login", json={"email": "owner@example.test", "password": PASSWORD})
        ).status_code == 429

        # The owner's browser signed in before: its device cookie has its own budget.
        again = await owner_browser.post("/auth/login", json={"email": "owner@example.test", "password": PASSWORD})
        assert again.status_code == 200, again.text


async def test_the_client_counted_is_the_one_a_trusted_proxy_names_and_never_a_forged_one(app: object) -> None:
    body = {"email": "x@example.test", "password": "wrong guess!"}
    async with client_at(app, "10.0.0.1") as proxy, client_at(app, "127.0.0.1") as direct:
        assert (
            await proxy.post("/auth/login", json=body, headers={"X-Forwarded-For": "203.0.113.5"})
        ).status_code == 401
        assert (
            await direct.post("/auth/login", json=body, headers={"X-Forwarded-For": "203.0.113.6"})
        ).status_code == 401
    async with app.state.services.engine.connect() as conn:  # type: ignore[attr-defined]
        keys = set((await conn.execute(select(login_attempts.c.key))).scalars())
    assert {k for k in keys if k.startswith("ip:")} == {"ip:203.0.113.5", "ip:127.0.0.1"}


async def test_emails_are_normalised_and_look_alikes_refused(api: ApiHarness) -> None:
    created = await register(api.client, "ＡＬＩＣＥ@Example.TEST")
    assert created.status_code == 201, created.text
    assert created.json()["user"]["email"] == "alice@example.test"
    idna = await register(api.client, "Ivan@XN--E1AFMKFD.XN--P1AI")
    assert idna.status_code == 201 and idna.json()["user"]["email"] == "ivan@пример.рф"

    assert (await register(api.client, "a@b")).status_code == 422
    assert (await register(api.client, "Alice@example.test")).status_code == 409
    look_alike = await register(api.client, "\u0430lice@example.test")  # Cyrillic а
    assert look_alike.status_code == 409 and look_alike.json()["field"] == "email"
    assert (await register(api.client, "alicé@example.test")).status_code == 409
    async with api.app.state.services.engine.connect() as conn:  # type: ignore[attr-defined]
        assert (await conn.execute(select(users.c.email))).scalars().all() == ["alice@example.test", "ivan@пример.рф"]
    signed_in = await api.client.post("/auth/login", json={"email": " ALICE@example.test", "password": PASSWORD})
    assert signed_in.status_code == 200


async def test_the_password_policy(api: ApiHarness) -> None:
    spaces = await register(api.client, "sp@example.test", " " * 12)
    own_email = await register(api.client, "longname@example.test", "LongName@example.test")
    local_part = await register(api.client, "longername@example.test", "LONGERNAME")
    short = await register(api.client, "short@example.test", "short")
    for refused in (spaces, own_email, local_part, short):
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"][0]["field"] == "password"

    session = (await register(api.client, "pat@example.test")).json()
    changed = await api.client.post(
        "/users/me/password",
        headers={"Authorization": f"Bearer {session['accessToken']}"},
        json={"currentPassword": PASSWORD, "newPassword": "pat@example.test"},
    )
    assert changed.status_code == 422 and changed.json()["field"] == "newPassword"

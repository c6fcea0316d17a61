"""Finding 1: sign-ins end. Logout and a password change stop access tokens, cookie sessions and open streams.

Also the browser session itself: its cookies, the CSRF check, expiry and sign-out.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx
import jwt
from sqlalchemy import update

from kanban.api.security.tokens import issue_access_token
from kanban.api.tables import auth_sessions
from kanban.db.types import utcnow
from tests.integration.api.conftest import ApiHarness
from tests.integration.api.test_hints import seed_task
from tests.integration.api.test_realtime import Stream, server  # noqa: F401 - the uvicorn fixture
from tests.support.settings import TEST_JWT_SECRET

PASSWORD = "correct horse battery"


async def register(client: httpx.AsyncClient, email: str) -> dict:  # type: ignore[type-arg]
    response = await client.post("/auth/register", json={"email": email, "password": PASSWORD})
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def cookie_sign_in(client: httpx.AsyncClient, email: str) -> dict:  # type: ignore[type-arg]
    response = await client.post("/auth/session", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_an_access_token_stops_working_at_logout_not_at_its_expiry(api: ApiHarness) -> None:
    session = await register(api.client, "ada@example.test")
    other = (await api.client.post("/auth/login", json={"email": "ada@example.test", "password": PASSWORD})).json()
    token = bearer(session["accessToken"])
    assert (await api.client.get("/users/me", headers=token)).status_code == 200

    assert (await api.client.post("/auth/logout", headers=token, json={})).status_code == 204

    refused = await api.client.get("/users/me", headers=token)
    assert refused.status_code == 401
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert (await api.client.post("/auth/refresh", json={"refreshToken": session["refreshToken"]})).status_code == 401
    # Another sign-in of the same person (another device) is untouched.
    assert (await api.client.get("/users/me", headers=bearer(other["accessToken"]))).status_code == 200


async def test_a_password_change_ends_every_access_token_and_cookie_session(api: ApiHarness) -> None:
    session = await register(api.client, "bob@example.test")
    await cookie_sign_in(api.client, "bob@example.test")
    assert (await api.client.get("/auth/session")).status_code == 200

    changed = await api.client.post(
        "/users/me/password",
        headers=bearer(session["accessToken"]),
        json={"currentPassword": PASSWORD, "newPassword": "a different passphrase"},
    )

    assert changed.status_code == 204
    assert (await api.client.get("/users/me", headers=bearer(session["accessToken"]))).status_code == 401
    assert (await api.client.get("/auth/session")).status_code == 401


async def test_an_access_token_of_a_forged_or_unknown_sign_in_is_refused(api: ApiHarness) -> None:
    session = await register(api.client, "cy@example.test")
    user_id = session["user"]["id"]
    sid = jwt.decode(session["accessToken"], options={"verify_signature": False})["sid"]
    unknown = issue_access_token(user_id, "no-such-sign-in", TEST_JWT_SECRET, 15)
    someone_else = issue_access_token("another-user", sid, TEST_JWT_SECRET, 15)
    for token in (unknown, someone_else):
        assert (await api.client.get("/users/me", headers=bearer(token))).status_code == 401


async def test_the_browser_session_sets_its_cookies_and_answers_the_user(api: ApiHarness) -> None:
    await register(api.client, "dee@example.test")
    response = await api.client.post("/auth/session", json={"email": "dee@example.test", "password": PASSWORD})

    assert response.status_code == 200
    cookies = {c.split("=", 1)[0]: c.lower() for c in response.headers.get_list("set-cookie")}
    assert "httponly" in cookies["kanban_session"] and "samesite=lax" in cookies["kanban_session"]
    assert "path=/" in cookies["kanban_session"]
    assert "httponly" not in cookies["kanban_csrf"] and "samesite=strict" in cookies["kanban_csrf"]
    assert "secure" not in cookies["kanban_session"], "plain http (no trusted proxy says https): no Secure flag"
    assert response.json()["csrfToken"] == api.client.cookies["kanban_csrf"]
    assert api.client.cookies["kanban_session"] not in response.text

    me = await api.client.get("/auth/session")
    assert me.status_code == 200 and me.json()["user"]["email"] == "dee@example.test"
    assert (await api.client.get("/boards")).status_code == 200


async def test_a_cookie_change_needs_the_csrf_token_of_its_session_and_our_origin(api: ApiHarness) -> None:
    await register(api.client, "eve@example.test")
    csrf = (await cookie_sign_in(api.client, "eve@example.test"))["csrfToken"]
    body = {"name": "Mine"}

    missing = await api.client.post("/boards", json=body)
    wrong = await api.client.post("/boards", json=body, headers={"X-CSRF-Token": "0" * 64})
    elsewhere = await api.client.post(
        "/boards", json=body, headers={"X-CSRF-Token": csrf, "Origin": "https://evil.test"}
    )
    ok = await api.client.post("/boards", json=body, headers={"X-CSRF-Token": csrf, "Origin": "http://test"})

    for refused in (missing, wrong, elsewhere):
        assert refused.status_code == 403, refused.text
        assert refused.json()["detail"] == "CSRF token missing or wrong"
    assert ok.status_code == 201, ok.text
    # A bearer request needs no CSRF token, even when a cookie is present too.
    token = (await api.client.post("/auth/login", json={"email": "eve@example.test", "password": PASSWORD})).json()
    assert (await api.client.post("/boards", json=body, headers=bearer(token["accessToken"]))).status_code == 201


async def test_signing_the_browser_out_revokes_the_session_and_clears_the_cookies(api: ApiHarness) -> None:
    await register(api.client, "fay@example.test")
    csrf = (await cookie_sign_in(api.client, "fay@example.test"))["csrfToken"]
    stolen = api.client.cookies["kanban_session"]

    assert (await api.client.delete("/auth/session")).status_code == 403  # without the CSRF token
    response = await api.client.delete("/auth/session", headers={"X-CSRF-Token": csrf})

    assert response.status_code == 204
    assert all("max-age=0" in c.lower() for c in response.headers.get_list("set-cookie"))
    assert (await api.client.get("/auth/session")).status_code == 401
    api.client.cookies.set("kanban_session", stolen)
    assert (await api.client.get("/auth/session")).status_code == 401


async def test_a_cookie_session_ends_when_idle_too_long_and_at_its_absolute_expiry(api: ApiHarness) -> None:
    await register(api.client, "gus@example.test")
    await cookie_sign_in(api.client, "gus@example.test")
    engine = api.app.state.services.engine  # type: ignore[attr-defined]
    assert (await api.client.get("/auth/session")).status_code == 200

    async with engine.begin() as conn:
        await conn.execute(update(auth_sessions).values(last_seen_at=utcnow() - timedelta(days=30)))
    assert (await api.client.get("/auth/session")).status_code == 401

    await cookie_sign_in(api.client, "gus@example.test")
    async with engine.begin() as conn:
        await conn.execute(
            update(auth_sessions)
            .where(auth_sessions.c.kind == "cookie", auth_sessions.c.revoked_at.is_(None))
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    assert (await api.client.get("/auth/session")).status_code == 401


async def _ends_signed_out(stream: Stream) -> None:
    """The stream says `signed-out` and ends (the deadline is generous; the close itself is immediate)."""
    assert await stream.until("signed-out") == {}
    async with asyncio.timeout(10):
        try:
            await stream.next_event()
        except AssertionError:
            return  # "the stream ended"
    raise AssertionError("the stream went on after signed-out")


@asynccontextmanager
async def streaming_user(
    api: ApiHarness, base_url: str, email: str
) -> AsyncIterator[tuple[httpx.AsyncClient, dict, str]]:  # type: ignore[type-arg]
    """A client on the real server, a registered user and the id of their seeded board."""
    async with httpx.AsyncClient(base_url=base_url) as client:
        session = await register(client, email)
        ids = await seed_task(api, {"X-User-Id": session["user"]["id"]})
        yield client, session, ids["board"]


@asynccontextmanager
async def open_stream(client: httpx.AsyncClient, board_id: str, **kwargs: Any) -> AsyncIterator[Stream]:
    async with client.stream("GET", f"/boards/{board_id}/stream", **kwargs) as response:
        assert response.status_code == 200
        stream = Stream(response)
        await stream.until("ready")
        yield stream


async def test_an_open_stream_closes_at_logout(api: ApiHarness, server: str) -> None:  # noqa: F811
    async with (
        streaming_user(api, server, "hal@example.test") as (client, session, board_id),
        open_stream(client, board_id, params={"accessToken": session["accessToken"]}) as stream,
    ):
        assert (await client.post("/auth/logout", headers=bearer(session["accessToken"]))).status_code == 204
        await _ends_signed_out(stream)


async def test_a_cookie_stream_closes_at_a_password_change(api: ApiHarness, server: str) -> None:  # noqa: F811
    async with streaming_user(api, server, "ivy@example.test") as (client, session, board_id):
        await cookie_sign_in(client, "ivy@example.test")
        async with open_stream(client, board_id) as stream:
            changed = await client.post(
                "/users/me/password",
                headers=bearer(session["accessToken"]),
                json={"currentPassword": PASSWORD, "newPassword": "another good passphrase"},
            )
            assert changed.status_code == 204
            await _ends_signed_out(stream)


async def test_an_open_stream_closes_when_its_access_token_expires(api: ApiHarness, server: str) -> None:  # noqa: F811
    async with streaming_user(api, server, "jo@example.test") as (client, session, board_id):
        sid = jwt.decode(session["accessToken"], options={"verify_signature": False})["sid"]
        short = issue_access_token(session["user"]["id"], sid, TEST_JWT_SECRET, 2 / 60)  # type: ignore[arg-type]
        async with open_stream(client, board_id, params={"accessToken": short}) as stream:
            await _ends_signed_out(stream)

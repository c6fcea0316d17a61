"""Accounts over HTTP on both backends: register, sign in, rotate and revoke refresh tokens, profile, password."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from sqlalchemy import select, update

from kanban.api.security.tokens import issue_access_token
from kanban.api.tables import refresh_tokens, users
from kanban.db.types import new_id, utcnow
from tests.integration.api.conftest import ApiHarness
from tests.support.settings import TEST_JWT_SECRET

PASSWORD = "correct horse battery"
FORBIDDEN_IN_RESPONSES = ("argon2", "passwordhash", "password_hash")


@pytest.fixture(autouse=True)
async def no_response_leaks_a_password_hash(api: ApiHarness) -> AsyncIterator[list[str]]:
    """Every response any test here receives is scanned for anything that looks like a password hash."""
    seen: list[str] = []

    async def scan(response: httpx.Response) -> None:
        await response.aread()
        seen.append(response.text)

    api.client.event_hooks["response"].append(scan)
    yield seen
    api.client.event_hooks["response"].remove(scan)
    assert seen, "the scanner saw no response"
    for text in seen:
        for word in FORBIDDEN_IN_RESPONSES:
            assert word not in text.lower(), f"a response mentions {word!r}: {text[:200]}"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def register(api: ApiHarness, email: str, password: str = PASSWORD, **extra: Any) -> httpx.Response:
    return await api.client.post("/auth/register", json={"email": email, "password": password, **extra})


async def login(api: ApiHarness, email: str, password: str = PASSWORD) -> httpx.Response:
    return await api.client.post("/auth/login", json={"email": email, "password": password})


async def refresh(api: ApiHarness, token: str, headers: dict[str, str] | None = None) -> httpx.Response:
    return await api.client.post("/auth/refresh", json={"refreshToken": token}, headers=headers)


def problem_fields(response: httpx.Response) -> set[str]:
    assert response.headers["content-type"].startswith("application/problem+json")
    return {error["field"] for error in response.json().get("errors", [])}


async def stored_hash(api: ApiHarness, email: str) -> str | None:
    async with api.app.state.services.engine.connect() as conn:  # type: ignore[attr-defined]
        return (await conn.execute(select(users.c.password_hash).where(users.c.email == email))).scalar_one()


# --- register -------------------------------------------------------------------------------


async def test_register_creates_the_account_signed_in(api: ApiHarness) -> None:
    response = await register(api, "Ann@Example.TEST", name="Ann", timezone="Europe/Paris")

    assert response.status_code == 201
    body = response.json()
    assert body["tokenType"] == "bearer"
    assert body["expiresIn"] == 15 * 60
    assert body["refreshToken"]
    user = body["user"]
    assert user["email"] == "ann@example.test"
    assert (user["name"], user["timezone"]) == ("Ann", "Europe/Paris")
    assert user["defaultBoardId"] is not None, "the account comes with its default board"
    assert set(user) == {"id", "email", "name", "timezone", "defaultBoardId", "createdAt"}
    me = await api.client.get("/users/me", headers=bearer(body["accessToken"]))
    assert me.status_code == 200
    assert me.json() == user


async def test_register_refuses_an_existing_email_in_any_case(api: ApiHarness) -> None:
    assert (await register(api, "bob@example.test")).status_code == 201

    again = await register(api, "bob@example.test", "another password 1")
    shouted = await register(api, "  BOB@Example.Test", "another password 2")

    assert again.status_code == 409
    assert shouted.status_code == 409
    assert problem_fields(shouted) == set()
    assert shouted.json()["field"] == "email"


async def test_register_never_overwrites_another_accounts_password(api: ApiHarness) -> None:
    """The original's public upsert let anyone take over an account by registering its email."""
    await register(api, "carol@example.test")
    before = await stored_hash(api, "carol@example.test")

    attack = await register(api, "Carol@example.test", "attacker password")

    assert attack.status_code == 409
    assert await stored_hash(api, "carol@example.test") == before
    assert (await login(api, "carol@example.test")).status_code == 200
    assert (await login(api, "carol@example.test", "attacker password")).status_code == 401


async def test_register_refuses_the_email_of_a_passwordless_legacy_account(api: ApiHarness) -> None:
    await api.make_user("legacy@example.test")

    assert (await register(api, "legacy@example.test")).status_code == 409
    assert await stored_hash(api, "legacy@example.test") is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "dan@example.test", "password": "short"}, "password"),
        ({"email": "dan@example.test", "password": "x" * 129}, "password"),
        ({"email": "not an email", "password": PASSWORD}, "email"),
        ({"password": PASSWORD}, "email"),
        ({"email": "dan@example.test", "password": PASSWORD, "timezone": "Mars/Olympus"}, "timezone"),
        ({"email": "dan@example.test", "password": PASSWORD, "role": "admin"}, "role"),
    ],
)
async def test_register_names_the_invalid_field(api: ApiHarness, body: dict[str, str], field: str) -> None:
    response = await api.client.post("/auth/register", json=body)

    assert response.status_code == 422
    assert problem_fields(response) == {field}


# --- login ----------------------------------------------------------------------------------


async def test_login_returns_a_session_whatever_the_email_case(api: ApiHarness) -> None:
    await register(api, "erin@example.test")

    response = await login(api, "ERIN@example.test")

    assert response.status_code == 200
    body = response.json()
    assert body["user"]["email"] == "erin@example.test"
    assert (await api.client.get("/users/me", headers=bearer(body["accessToken"]))).status_code == 200


async def test_login_answers_the_same_for_unknown_email_and_wrong_password(api: ApiHarness) -> None:
    await register(api, "fay@example.test")

    wrong_password = await login(api, "fay@example.test", "not the password")
    unknown_email = await login(api, "nobody@example.test")

    assert wrong_password.status_code == unknown_email.status_code == 401
    assert wrong_password.json() == unknown_email.json()


async def test_a_legacy_account_without_password_cannot_log_in(api: ApiHarness) -> None:
    await api.make_user("noPassword@example.test")

    response = await login(api, "nopassword@example.test", "")
    assert response.status_code == 422
    assert (await login(api, "nopassword@example.test")).status_code == 401


async def test_login_is_limited_per_email_and_a_success_resets_the_count(api: ApiHarness) -> None:
    await register(api, "gil@example.test")
    for _ in range(4):
        assert (await login(api, "gil@example.test", "wrong password")).status_code == 401
    assert (await login(api, "gil@example.test")).status_code == 200  # clears the four failures

    for _ in range(5):
        assert (await login(api, "GIL@example.test", "wrong password")).status_code == 401
    limited = await login(api, "gil@example.test")  # even the right password waits

    assert limited.status_code == 429
    assert limited.headers["content-type"].startswith("application/problem+json")
    retry_after = int(limited.headers["Retry-After"])
    assert 0 < retry_after <= 15 * 60
    assert limited.json()["retryAfter"] == retry_after
    assert (await login(api, "someone-else@example.test")).status_code == 401  # other emails are unaffected


async def test_login_is_limited_per_client_address(api: ApiHarness) -> None:
    from kanban.api.security.rate_limit import PER_CLIENT

    for n in range(PER_CLIENT.max_failures):
        assert (await login(api, f"guess{n}@example.test")).status_code == 401

    assert (await login(api, "guess-more@example.test")).status_code == 429


async def test_login_upgrades_a_hash_made_with_old_parameters(api: ApiHarness) -> None:
    old_hash = PasswordHasher(time_cost=2, memory_cost=128, parallelism=2).hash(PASSWORD)
    now = utcnow()
    async with api.app.state.services.engine.begin() as conn:  # type: ignore[attr-defined]
        await conn.execute(
            users.insert().values(
                id=new_id(),
                email="hal@example.test",
                password_hash=old_hash,
                timezone="UTC",
                created_at=now,
                updated_at=now,
            )
        )

    assert (await login(api, "hal@example.test")).status_code == 200

    upgraded = await stored_hash(api, "hal@example.test")
    assert upgraded != old_hash
    assert upgraded is not None and upgraded.startswith("$argon2id$v=19$m=64,t=1,p=4$")
    assert (await login(api, "hal@example.test")).status_code == 200


# --- refresh and logout -----------------------------------------------------------------------


async def test_refresh_rotates_and_a_reused_token_revokes_the_whole_sign_in(api: ApiHarness) -> None:
    first = (await register(api, "ivy@example.test")).json()

    rotated = await refresh(api, first["refreshToken"])
    assert rotated.status_code == 200
    second = rotated.json()
    assert second["refreshToken"] != first["refreshToken"]
    assert (await api.client.get("/users/me", headers=bearer(second["accessToken"]))).status_code == 200

    replay = await refresh(api, first["refreshToken"])  # a stolen, already spent token comes back
    assert replay.status_code == 401
    assert (await refresh(api, second["refreshToken"])).status_code == 401  # the family is gone
    async with api.app.state.services.engine.connect() as conn:  # type: ignore[attr-defined]
        revoked = (await conn.execute(select(refresh_tokens.c.revoked_at))).scalars().all()
    assert len(revoked) == 2 and all(revoked)


async def test_reuse_revokes_only_that_sign_in(api: ApiHarness) -> None:
    await register(api, "jay@example.test")
    laptop = (await login(api, "jay@example.test")).json()
    phone = (await login(api, "jay@example.test")).json()

    await refresh(api, laptop["refreshToken"])
    await refresh(api, laptop["refreshToken"])

    assert (await refresh(api, phone["refreshToken"])).status_code == 200


async def test_refresh_works_after_the_access_token_expired(api: ApiHarness) -> None:
    session = (await register(api, "kim@example.test")).json()
    expired = issue_access_token(session["user"]["id"], "any-sign-in", TEST_JWT_SECRET, -1)
    assert (await api.client.get("/users/me", headers=bearer(expired))).status_code == 401

    response = await refresh(api, session["refreshToken"], headers=bearer(expired))

    assert response.status_code == 200
    assert (await api.client.get("/users/me", headers=bearer(response.json()["accessToken"]))).status_code == 200


async def test_refresh_refuses_expired_unknown_and_missing_tokens(api: ApiHarness) -> None:
    session = (await register(api, "lee@example.test")).json()
    async with api.app.state.services.engine.begin() as conn:  # type: ignore[attr-defined]
        await conn.execute(update(refresh_tokens).values(expires_at=utcnow() - timedelta(seconds=1)))

    assert (await refresh(api, session["refreshToken"])).status_code == 401
    assert (await refresh(api, "made-up-token")).status_code == 401
    missing = await api.client.post("/auth/refresh", json={})
    assert missing.status_code == 422
    assert problem_fields(missing) == {"refreshToken"}


async def test_logout_revokes_the_sign_in_of_that_token(api: ApiHarness) -> None:
    await register(api, "max@example.test")
    laptop = (await login(api, "max@example.test")).json()
    phone = (await login(api, "max@example.test")).json()

    response = await api.client.post(
        "/auth/logout", json={"refreshToken": laptop["refreshToken"]}, headers=bearer(laptop["accessToken"])
    )

    assert response.status_code == 204
    assert (await refresh(api, laptop["refreshToken"])).status_code == 401
    assert (await refresh(api, phone["refreshToken"])).status_code == 200


async def test_logout_cannot_end_another_users_sign_in(api: ApiHarness) -> None:
    victim = (await register(api, "ned@example.test")).json()
    other = await api.make_user()

    response = await api.client.post("/auth/logout", json={"refreshToken": victim["refreshToken"]}, headers=other)

    assert response.status_code == 204
    assert (await refresh(api, victim["refreshToken"])).status_code == 200


# --- the current user -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/users/me", None),
        ("PATCH", "/users/me", {"name": "x"}),
        ("POST", "/users/me/password", {"currentPassword": PASSWORD, "newPassword": "new password 123"}),
        ("POST", "/auth/logout", {"refreshToken": "x"}),
    ],
)
async def test_anonymous_requests_are_refused(api: ApiHarness, method: str, path: str, body: Any) -> None:
    response = await api.client.request(method, path, json=body)

    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_update_profile_changes_only_the_given_fields(api: ApiHarness) -> None:
    session = (await register(api, "oli@example.test", name="Oli")).json()
    auth = bearer(session["accessToken"])

    zoned = await api.client.patch("/users/me", json={"timezone": "America/New_York"}, headers=auth)
    assert zoned.status_code == 200
    assert (zoned.json()["name"], zoned.json()["timezone"]) == ("Oli", "America/New_York")

    cleared = await api.client.patch("/users/me", json={"name": None}, headers=auth)
    assert (cleared.json()["name"], cleared.json()["timezone"]) == (None, "America/New_York")
    assert (await api.client.get("/users/me", headers=auth)).json() == cleared.json()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"timezone": "Not/AZone"}, "timezone"),
        ({"timezone": None}, "timezone"),
        ({"name": ""}, "name"),
        ({"email": "new@example.test"}, "email"),
    ],
)
async def test_update_profile_names_the_invalid_field(api: ApiHarness, body: dict[str, Any], field: str) -> None:
    auth = await api.make_user()

    response = await api.client.patch("/users/me", json=body, headers=auth)

    assert response.status_code == 422
    assert problem_fields(response) == {field}


async def test_change_password_ends_every_sign_in(api: ApiHarness) -> None:
    laptop = (await register(api, "pam@example.test")).json()
    phone = (await login(api, "pam@example.test")).json()

    response = await api.client.post(
        "/users/me/password",
        json={"currentPassword": PASSWORD, "newPassword": "a brand new password"},
        headers=bearer(laptop["accessToken"]),
    )

    assert response.status_code == 204
    assert (await refresh(api, laptop["refreshToken"])).status_code == 401
    assert (await refresh(api, phone["refreshToken"])).status_code == 401
    assert (await login(api, "pam@example.test")).status_code == 401
    assert (await login(api, "pam@example.test", "a brand new password")).status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"currentPassword": "not my password", "newPassword": "a brand new password"}, "currentPassword"),
        ({"currentPassword": PASSWORD, "newPassword": "short"}, "newPassword"),
    ],
)
async def test_change_password_names_the_invalid_field(api: ApiHarness, body: dict[str, str], field: str) -> None:
    session = (await register(api, "quinn@example.test")).json()

    response = await api.client.post("/users/me/password", json=body, headers=bearer(session["accessToken"]))

    assert response.status_code == 422
    assert problem_fields(response) == {field}
    assert (await refresh(api, session["refreshToken"])).status_code == 200  # nothing was revoked


async def test_guessing_the_current_password_is_limited(api: ApiHarness) -> None:
    session = (await register(api, "rae@example.test")).json()
    auth = bearer(session["accessToken"])
    body = {"currentPassword": "guess", "newPassword": "a brand new password"}
    for _ in range(5):
        assert (await api.client.post("/users/me/password", json=body, headers=auth)).status_code == 422

    assert (await api.client.post("/users/me/password", json=body, headers=auth)).status_code == 429


async def test_openapi_documents_the_routes_and_their_problems(api: ApiHarness) -> None:
    paths = (await api.client.get("/openapi.json")).json()["paths"]

    assert set(paths["/api/v1/auth/login"]["post"]["responses"]) >= {"200", "401", "422", "429"}
    assert set(paths["/api/v1/auth/register"]["post"]["responses"]) >= {"201", "409", "422"}
    assert set(paths["/api/v1/users/me"]) >= {"get", "patch"}


async def test_two_concurrent_refreshes_with_one_token_cannot_both_succeed(api: ApiHarness) -> None:
    session = (await register(api, "sam@example.test")).json()

    first, second = await asyncio.gather(refresh(api, session["refreshToken"]), refresh(api, session["refreshToken"]))

    assert sorted([first.status_code, second.status_code]) == [200, 401]

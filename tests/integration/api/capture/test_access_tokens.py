"""Personal access tokens: shown once, stored hashed, revocable, last use recorded."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from kanban.api.tables import personal_access_tokens
from tests.integration.api.board_helpers import create_board
from tests.integration.api.conftest import ApiHarness


async def test_a_token_is_shown_once_kept_hashed_used_and_revoked(api: ApiHarness) -> None:
    me = await api.make_user()
    await create_board(api, me)
    created = await api.client.post("/tokens", json={"name": "phone", "scopes": ["capture", "read"]}, headers=me)
    assert created.status_code == 201 and created.headers["Cache-Control"] == "no-store"
    body = created.json()
    token = body["token"]
    assert token.startswith("kpat_") and body["scopes"] == ["capture", "read"] and body["lastUsedAt"] is None
    async with api.app.state.services.engine.connect() as conn:  # type: ignore[attr-defined]
        stored = (await conn.execute(select(personal_access_tokens))).one()
    assert token not in stored.token_hash and stored.token_hash != token
    bearer = {"Authorization": f"Bearer {token}"}
    assert (await api.client.post("/capture", json={"text": "milk"}, headers=bearer)).status_code == 201
    assert (await api.client.get("/boards", headers=bearer)).status_code == 200
    assert (
        await api.client.post("/tokens", json={"name": "x", "scopes": ["write"]}, headers=bearer)
    ).status_code == 403

    async def used() -> bool:
        listed = (await api.client.get("/tokens", headers=me)).json()
        return listed[0]["lastUsedAt"] is not None

    for _ in range(100):
        if await used():
            break
        await asyncio.sleep(0.05)
    assert await used()
    assert (await api.client.delete(f"/tokens/{body['id']}", headers=me)).status_code == 204
    after = await api.client.post("/capture", json={"text": "eggs"}, headers=bearer)
    assert after.status_code == 401
    listed = (await api.client.get("/tokens", headers=me)).json()
    assert listed[0]["revokedAt"] is not None and "token" not in listed[0]


async def test_bad_token_requests_are_problems(api: ApiHarness) -> None:
    me = await api.make_user()
    assert (await api.client.post("/tokens", json={"name": "x", "scopes": ["admin"]}, headers=me)).status_code == 422
    assert (await api.client.post("/tokens", json={"name": "x", "scopes": []}, headers=me)).status_code == 422
    bogus = {"Authorization": "Bearer kpat_not-a-token"}
    assert (await api.client.get("/boards", headers=bogus)).status_code == 401

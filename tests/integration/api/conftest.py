"""An API app per test, on SQLite and PostgreSQL, driven through HTTP with httpx."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest

from kanban.api.app import create_app
from kanban.api.security.tokens import issue_access_token
from kanban.api.tables import auth_sessions, users
from kanban.db.types import new_id, utcnow
from kanban.db.urls import DatabaseUrl
from kanban.messaging.transports.memory import MemoryHub
from tests.support.settings import TEST_JWT_SECRET, settings_for


@dataclass
class ApiHarness:
    client: httpx.AsyncClient
    app: object

    async def make_user(self, email: str | None = None) -> dict[str, str]:
        """A user inserted directly, with the Authorization header of a valid access token."""
        user_id = new_id()
        services = self.app.state.services  # type: ignore[attr-defined]
        async with services.engine.begin() as conn:
            now = utcnow()
            await conn.execute(
                users.insert().values(
                    id=user_id,
                    email=email or f"{user_id}@example.test",
                    name="Test",
                    password_hash=None,
                    timezone="UTC",
                    created_at=now,
                    updated_at=now,
                )
            )
            # A token sign-in of its own, as /auth/login makes: access tokens name it and die with it.
            session_id = new_id()
            await conn.execute(
                auth_sessions.insert().values(
                    id=session_id,
                    user_id=user_id,
                    kind="token",
                    created_at=now,
                    last_seen_at=now,
                    expires_at=now + timedelta(days=1),
                )
            )
        token = issue_access_token(user_id, session_id, TEST_JWT_SECRET, 15)
        return {"Authorization": f"Bearer {token}", "X-User-Id": user_id}


@pytest.fixture
async def api(api_db: DatabaseUrl) -> AsyncIterator[ApiHarness]:
    settings = settings_for("api", api_db, None)
    app = create_app(settings, hub=MemoryHub())
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test/api/v1") as client:
            yield ApiHarness(client=client, app=app)

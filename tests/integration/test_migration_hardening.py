"""Migration 0003 on a database with accounts: skeletons are backfilled, live sign-ins become sessions."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import sqlalchemy as sa

from kanban.db import migrations
from kanban.db.engine import make_engine
from kanban.db.types import utcnow
from tests.support.databases import SCRIPT_LOCATIONS, DatabaseFactory


async def test_existing_accounts_get_a_skeleton_and_live_sign_ins_a_session(
    database_factory: DatabaseFactory, backend: str
) -> None:
    db = await database_factory.create("api", backend, migrated=False)
    await asyncio.to_thread(migrations.upgrade, SCRIPT_LOCATIONS["api"], db, "0002")
    engine = make_engine(db, "kanban-test")
    now = utcnow()
    users = sa.table("users", *(sa.column(c) for c in ("id", "email", "timezone", "created_at", "updated_at")))
    tokens = sa.table(
        "refresh_tokens",
        *(sa.column(c) for c in ("id", "user_id", "family_id", "token_hash", "issued_at", "expires_at", "revoked_at")),
    )
    naive = now.replace(tzinfo=None) if db.is_sqlite else now
    try:
        async with engine.begin() as conn:
            await conn.execute(
                users.insert().values(
                    id="u1", email="аlice@example.test", timezone="UTC", created_at=naive, updated_at=naive
                )
            )
            for token_id, family, revoked in (("t1", "live", None), ("t2", "live", None), ("t3", "ended", naive)):
                await conn.execute(
                    tokens.insert().values(
                        id=token_id, user_id="u1", family_id=family, token_hash=token_id * 8, issued_at=naive,
                        expires_at=naive + timedelta(days=30), revoked_at=revoked,
                    )
                )  # fmt: skip
        await asyncio.to_thread(migrations.upgrade, SCRIPT_LOCATIONS["api"], db)
        async with engine.connect() as conn:
            skeleton = (await conn.execute(sa.text("SELECT email_skeleton FROM users"))).scalar_one()
            sessions = (await conn.execute(sa.text("SELECT id, user_id, kind FROM auth_sessions"))).all()
    finally:
        await engine.dispose()
    assert skeleton == "alice@example.test"
    assert [tuple(row) for row in sessions] == [("live", "u1", "token")]

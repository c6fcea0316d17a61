"""Connections of `kanban.db.engine`: one-statement reads and writes outside a transaction, pings only after idling."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_connection

from kanban.db import engine as engine_module
from kanban.db.engine import make_engine, read_only_connection, single_read, single_write
from kanban.db.urls import DatabaseUrl
from tests.support.databases import pg_admin
from tests.support.servers import PG_ADMIN_URL

# On PostgreSQL two statements of one transaction see one transaction id, two on their own two.
_XID = text("SELECT pg_current_xact_id()::text")


async def test_a_single_read_opens_no_transaction_and_a_read_only_connection_does(api_db: DatabaseUrl) -> None:
    engine = make_engine(api_db, "kt_single_read", keep_sqlite_connections=True)
    try:
        async with single_read(engine) as conn:
            assert await conn.scalar(text("SELECT count(*) FROM users")) == 0
            if api_db.is_sqlite:
                raw = (await conn.get_raw_connection()).dbapi_connection
                assert not raw._connection._conn.in_transaction  # type: ignore[union-attr]
            else:
                assert await conn.scalar(_XID) != await conn.scalar(_XID)
        async with read_only_connection(engine) as conn:
            await conn.scalar(text("SELECT count(*) FROM users"))
            if api_db.is_sqlite:
                raw = (await conn.get_raw_connection()).dbapi_connection
                assert raw._connection._conn.in_transaction  # type: ignore[union-attr]
            else:
                assert await conn.scalar(_XID) == await conn.scalar(_XID)
    finally:
        await engine.dispose()


async def test_a_single_write_commits_each_statement_on_postgres_and_is_one_transaction_on_sqlite(
    api_db: DatabaseUrl,
) -> None:
    engine = make_engine(api_db, "kt_single_write", keep_sqlite_connections=True)
    try:
        await _make_marks(engine)
        async with single_write(engine) as conn:
            await conn.execute(text("INSERT INTO kt_marks (n) VALUES (1)"))
            if api_db.is_postgres:  # its own transaction, already committed: another connection sees it
                assert await conn.scalar(_XID) != await conn.scalar(_XID)
                async with single_read(engine) as other:
                    assert await other.scalar(text("SELECT count(*) FROM kt_marks")) == 1
            else:  # SQLite keeps one write transaction (its BEGIN costs no round trip)
                raw = (await conn.get_raw_connection()).dbapi_connection
                assert raw._connection._conn.in_transaction  # type: ignore[union-attr]
        async with single_read(engine) as conn:
            assert await conn.scalar(text("SELECT count(*) FROM kt_marks")) == 1
    finally:
        await engine.dispose()


async def _make_marks(engine: Any) -> None:
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE kt_marks (n INTEGER NOT NULL)"))


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_a_pooled_connection_is_pinged_only_after_idling_and_a_dead_one_is_replaced(
    api_db: DatabaseUrl, monkeypatch: pytest.MonkeyPatch
) -> None:
    pings: list[Any] = []
    original = AsyncAdapt_asyncpg_connection.ping

    def counted(self: Any) -> None:
        pings.append(self)
        original(self)

    monkeypatch.setattr(AsyncAdapt_asyncpg_connection, "ping", counted)
    now = [1000.0]
    monkeypatch.setattr(engine_module, "_clock", lambda: now[0])  # idle time passes only when the test says
    engine = make_engine(api_db, "kt_idle_ping", pool_size=1)
    try:
        async with engine.connect() as conn:
            first_pid = await conn.scalar(text("SELECT pg_backend_pid()"))
        async with engine.connect() as conn:  # used a moment ago: no ping
            assert await conn.scalar(text("SELECT pg_backend_pid()")) == first_pid
        assert pings == []

        now[0] += engine_module.PING_AFTER_IDLE_SECONDS + 1
        await pg_admin(f"SELECT pg_terminate_backend({first_pid})")  # e.g. a server restart while idle
        await _until_gone(first_pid)
        async with engine.connect() as conn:
            pid = await conn.scalar(text("SELECT pg_backend_pid()"))
        assert len(pings) == 1  # the idle connection was pinged, found dead and replaced
        assert pid != first_pid
    finally:
        await engine.dispose()


async def _until_gone(pid: int) -> None:
    """Wait (bounded) until the terminated backend has exited: termination is only a signal."""
    conn = await asyncpg.connect(PG_ADMIN_URL)
    try:
        for _ in range(600):
            if not await conn.fetchval("SELECT count(*) FROM pg_stat_activity WHERE pid = $1", pid):
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"backend {pid} still running after its termination")
    finally:
        await conn.close()

"""The API's PostgreSQL pool keeps as many connections open as KANBAN_DB_POOL_SIZE says, so bursts
of concurrent requests reuse them instead of opening and closing a backend per request."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import event, text

from kanban.api.bootstrap import build_api_services
from kanban.db.urls import DatabaseUrl
from kanban.messaging.transports.memory import MemoryHub
from tests.support.settings import settings_for


async def _burst(engine, size: int) -> None:  # type: ignore[no-untyped-def]
    """`size` connections in use at once, then all returned."""
    held = asyncio.Event()
    in_use = 0

    async def use() -> None:
        nonlocal in_use
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
            in_use += 1
            if in_use == size:
                held.set()
            await held.wait()

    await asyncio.gather(*(use() for _ in range(size)))


async def test_bursts_within_the_pool_reuse_its_connections(api_db: DatabaseUrl, backend: str) -> None:
    if backend != "postgres":
        pytest.skip("SQLite keeps a fixed pool of its own (one writer at a time)")
    services = build_api_services(settings_for("api", api_db, None, KANBAN_DB_POOL_SIZE="6"), hub=MemoryHub())
    engine = services.engine
    opened: list[object] = []
    event.listen(engine.sync_engine, "connect", lambda conn, _record: opened.append(conn))
    try:
        assert engine.sync_engine.pool.size() == 6  # type: ignore[attr-defined]
        for _ in range(3):
            await _burst(engine, 6)
        assert len(opened) == 6  # opened once, reused by the later bursts
        await _burst(engine, 9)  # beyond the pool: half as many more open, and close once returned
        assert len(opened) == 9
        await _burst(engine, 6)
        assert len(opened) == 9
    finally:
        await engine.dispose()

"""Engines for either backend, tuned once here: SQLite gets WAL and foreign keys, PostgreSQL an application name."""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.dialects import registry
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import AsyncAdaptedQueuePool, NullPool

from kanban.db import sqlite_driver
from kanban.db.files import ensure_private_sqlite_file
from kanban.db.urls import DatabaseUrl

READ_ONLY = "kanban_read_only"
registry.register(f"sqlite.{sqlite_driver.DRIVER_NAME}", "kanban.db.sqlite_driver", "OneHopSqliteDialect")
_WRITE_LOCKS: weakref.WeakKeyDictionary[Any, asyncio.Lock] = weakref.WeakKeyDictionary()


def sqlite_write_lock(engine: AsyncEngine) -> asyncio.Lock | None:
    """One lock per SQLite engine for this process's write transactions, None on PostgreSQL.

    SQLite admits one writer per file; writers of one process that collide otherwise wait in
    SQLite's busy handler, which sleeps in growing steps and turns a queue of requests into
    second-long tails. Queueing them on an asyncio lock first serves them in order instead.
    """
    if engine.dialect.name != "sqlite":
        return None
    lock = _WRITE_LOCKS.get(engine.sync_engine)
    if lock is None:
        lock = _WRITE_LOCKS[engine.sync_engine] = asyncio.Lock()
    return lock


@asynccontextmanager
async def write_transaction(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """`engine.begin()` that first queues on this process's SQLite write lock (see `sqlite_write_lock`).

    For the short writes outside a unit of work (an inbox receiving a batch, a relay marking rows
    sent, a job claim, a lease renewal): without the lock they meet the units of work in SQLite's
    busy handler and wait out its sleeps while the lock changes hands around them.
    """
    async with sqlite_write_lock(engine) or contextlib.nullcontext(), engine.begin() as conn:
        yield conn


@asynccontextmanager
async def read_only_connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection for reads only; on SQLite it never waits for (or blocks) the writer."""
    async with engine.connect() as conn:
        yield await conn.execution_options(**{READ_ONLY: True})


def make_engine(
    db: DatabaseUrl, application_name: str, pool_size: int = 10, *, keep_sqlite_connections: bool = False
) -> AsyncEngine:
    """An async engine for `db`; PostgreSQL sessions are tagged so pg_stat_activity shows who connects.

    On SQLite each use opens its own connection (a thread of aiosqlite's, the file, the PRAGMAs)
    unless `keep_sqlite_connections`: then up to `pool_size` connections are kept open between uses,
    which saves that setup on every request. Only a long-running service that disposes of its
    engine on shutdown keeps them: an open aiosqlite connection's thread keeps a process alive.
    """
    if db.is_sqlite:
        ensure_private_sqlite_file(db)
        pooling: dict[str, Any] = (
            {"poolclass": AsyncAdaptedQueuePool, "pool_size": pool_size, "max_overflow": -1}
            if keep_sqlite_connections
            else {"poolclass": NullPool}
        )
        one_hop = db.async_url.set(drivername=f"sqlite+{sqlite_driver.DRIVER_NAME}")  # ADR 0029
        engine = create_async_engine(one_hop, **pooling, connect_args={"timeout": 30, "isolation_level": None})
        _tune_sqlite(engine)
        return engine
    return create_async_engine(
        db.async_url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        connect_args={"server_settings": {"application_name": application_name}},
    )


def _tune_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    # pysqlite's own transaction handling is switched off (isolation_level=None); every
    # transaction starts with BEGIN IMMEDIATE so writers queue on the lock instead of
    # failing with "database is locked" when a read turns into a write.
    # A connection marked READ_ONLY begins a deferred transaction instead: under WAL it reads
    # beside the writer, so a lookup made while a unit of work holds the write lock cannot deadlock.
    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get(READ_ONLY) else "BEGIN IMMEDIATE")

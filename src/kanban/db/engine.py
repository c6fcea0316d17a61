"""Engines for either backend, tuned once here: SQLite gets WAL and foreign keys, PostgreSQL an application name."""

from __future__ import annotations

import asyncio
import contextlib
import time
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.dialects import registry
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.pool import AsyncAdaptedQueuePool, NullPool

from kanban.db import sqlite_driver
from kanban.db.async_core import AsyncConnection, AsyncEngine, create_async_engine
from kanban.db.files import ensure_private_sqlite_file
from kanban.db.urls import DatabaseUrl

READ_ONLY = "kanban_read_only"
SINGLE_READ = "kanban_single_read"
# A pooled PostgreSQL connection idle longer than this is pinged before use (see `_ping_when_idle`).
PING_AFTER_IDLE_SECONDS = 2.0
_clock = time.monotonic  # the idle time's clock (a test moves it instead of sleeping)
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


@asynccontextmanager
async def single_read(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection for one read statement, outside any transaction: no BEGIN, no ROLLBACK.

    One statement is its own consistent snapshot on either backend, so a lookup such as a sign-in
    check or the relay's read of pending rows costs one round trip instead of three. Several reads
    that must agree with each other take `read_only_connection` instead.
    """
    async with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            yield await conn.execution_options(**{SINGLE_READ: True})
        else:
            yield await conn.execution_options(isolation_level="AUTOCOMMIT")


@asynccontextmanager
async def single_write(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection for a write whose every statement stands on its own: each commits as it runs.

    For one-statement writes outside a unit of work (the relay marking rows sent, a batch's lease
    renewal) and for a row followed by the wake-up of its reader (an inbox receiving a batch). On
    PostgreSQL the statements run in autocommit: one round trip each instead of BEGIN, statement
    and COMMIT. SQLite keeps `write_transaction`: its BEGIN already rides in the statement's hop,
    and its COMMIT keeps a hop of its own, off the event loop (ADR 0044).
    """
    if engine.dialect.name == "sqlite":
        async with write_transaction(engine) as conn:
            yield conn
    else:
        async with engine.connect() as conn:
            yield await conn.execution_options(isolation_level="AUTOCOMMIT")


def make_engine(
    db: DatabaseUrl,
    application_name: str,
    pool_size: int = 10,
    *,
    keep_sqlite_connections: bool = False,
    statements_on_loop: bool = False,
) -> AsyncEngine:
    """An async engine for `db`; PostgreSQL sessions are tagged so pg_stat_activity shows who connects.

    On SQLite each use opens its own connection (a thread of aiosqlite's, the file, the PRAGMAs)
    unless `keep_sqlite_connections`: then up to `pool_size` connections are kept open between uses,
    which saves that setup on every request. Only a long-running service that disposes of its
    engine on shutdown keeps them: an open aiosqlite connection's thread keeps a process alive.

    `statements_on_loop` (SQLite files only) runs the statements of write transactions and single
    reads on the event loop's thread, without a hop to the connection's (ADR 0044): for services,
    whose units of work are many short statements. Bulk work (a split, an import) keeps its hops,
    where SQLite's work runs beside the process's other work.
    """
    if db.is_sqlite:
        ensure_private_sqlite_file(db)
        pooling: dict[str, Any] = (
            {"poolclass": AsyncAdaptedQueuePool, "pool_size": pool_size, "max_overflow": -1}
            if keep_sqlite_connections
            else {"poolclass": NullPool}
        )
        one_hop = db.async_url.set(drivername=f"sqlite+{sqlite_driver.DRIVER_NAME}")  # ADR 0029
        connect_args: dict[str, Any] = {"timeout": 30, "isolation_level": None}
        if statements_on_loop and db.database not in ("", ":memory:"):  # a memory database is its thread's
            connect_args[sqlite_driver.RUN_ON_LOOP] = True
        engine = create_async_engine(one_hop, **pooling, connect_args=connect_args)
        _tune_sqlite(engine)
        return engine
    # Up to `pool_size` connections stay open; a burst beyond opens at most half as many more,
    # closed again when they come back to a full pool.
    engine = create_async_engine(
        db.async_url,
        pool_size=pool_size,
        max_overflow=max(pool_size // 2, 1),
        connect_args={"server_settings": {"application_name": application_name}},
    )
    _ping_when_idle(engine, PING_AFTER_IDLE_SECONDS)
    return engine


def _ping_when_idle(engine: AsyncEngine, idle_seconds: float) -> None:
    """Ping a pooled connection before use only when it sat idle, instead of before every use.

    SQLAlchemy's `pool_pre_ping` pings on every checkout, and asyncpg's ping is a transaction of its
    own (BEGIN, a query, ROLLBACK): three round trips, twelve per create. A connection used a moment
    ago is as alive as a ping would show; one that idled (where a server restart or an idle timeout
    may have closed it) is pinged, and a dead one is replaced before the caller sees it. A
    connection that dies while in use fails that statement as before and invalidates the pool.
    """

    @event.listens_for(engine.sync_engine, "checkin")
    def _on_checkin(_dbapi_conn: Any, record: Any) -> None:
        record.info["idle_since"] = _clock()

    @event.listens_for(engine.sync_engine, "checkout")
    def _on_checkout(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.pop("idle_since", None)
        if since is None or _clock() - since < idle_seconds:
            return
        try:
            dbapi_conn.ping()
        except Exception as exc:  # any failure means this connection is unusable: the pool replaces it
            raise DisconnectionError("a pooled connection did not answer its ping") from exc


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
    # A SINGLE_READ connection begins nothing: its one statement is its own transaction.
    # The BEGIN is not a statement of its own: the driver sends it with the transaction's first one.
    # Where the connection allows it (`statements_on_loop`), a read-only transaction keeps its
    # statements on the connection's thread: it may scan a board or the event log at length.
    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        options = conn.get_execution_options()
        dbapi_connection = conn.connection.dbapi_connection
        if options.get(SINGLE_READ):
            dbapi_connection.start_transaction(None)
        elif options.get(READ_ONLY):
            dbapi_connection.start_transaction("BEGIN", long_reads=True)
        else:
            dbapi_connection.start_transaction("BEGIN IMMEDIATE")

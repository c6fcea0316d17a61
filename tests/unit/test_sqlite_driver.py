"""The one-hop SQLite driver (kanban.db.sqlite_driver) keeps the DBAPI contract SQLAlchemy relies on."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, event, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError, OperationalError

from kanban.db.engine import make_engine, read_only_connection, single_read
from kanban.db.sqlite_driver import OneHopCursor
from kanban.db.urls import parse_database_url

meta = MetaData()
items = Table("items", meta, Column("id", Integer, primary_key=True), Column("name", String, unique=True))


@pytest.mark.parametrize("keep", [False, True])
async def test_rows_counts_ids_and_errors_come_back_as_from_aiosqlite(tmp_path: Path, keep: bool) -> None:
    engine = make_engine(parse_database_url(f"sqlite:///{tmp_path / 'one.db'}"), "test", keep_sqlite_connections=keep)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(meta.create_all)
            first = await conn.execute(insert(items).values(name="a"))
            assert first.inserted_primary_key == (1,)  # lastrowid
            await conn.execute(insert(items), [{"name": "b"}, {"name": "c"}])  # executemany
            changed = await conn.execute(update(items).where(items.c.name != "a").values(name=items.c.name + "!"))
            assert changed.rowcount == 2
            returned = await conn.execute(insert(items).values(name="d").returning(items.c.id, items.c.name))
            assert returned.one() == (4, "d")
            rows = (await conn.execute(select(items.c.name).order_by(items.c.id))).scalars().all()
            assert rows == ["a", "b!", "c!", "d"]
            assert (await conn.execute(text("SELECT 1 WHERE 0"))).first() is None
            cursor = (await conn.get_raw_connection()).dbapi_connection.cursor()  # type: ignore[union-attr]
            assert isinstance(cursor, OneHopCursor)
        async with engine.connect() as conn:
            with pytest.raises(IntegrityError):
                await conn.execute(insert(items).values(name="a"))
            await conn.rollback()
            assert (await conn.execute(select(items.c.id).where(items.c.name == "a"))).scalar_one() == 1
            streamed = await conn.stream(select(items.c.name).order_by(items.c.id))  # a server-side cursor
            assert [row.name async for row in streamed] == ["a", "b!", "c!", "d"]
    finally:
        await engine.dispose()


class _Hops:
    """Counts the calls handed to aiosqlite's connection thread (each a queue put and a wake-up)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        import aiosqlite.core

        self.count = 0
        original = aiosqlite.core.Connection._execute

        async def counted(conn: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return await original(conn, fn, *args, **kwargs)

        monkeypatch.setattr(aiosqlite.core.Connection, "_execute", counted)

    def since(self, start: int) -> int:
        return self.count - start


async def test_begin_travels_with_the_first_statement_and_an_empty_end_is_no_hop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(parse_database_url(f"sqlite:///{tmp_path / 'hops.db'}"), "test", keep_sqlite_connections=True)
    hops = _Hops(monkeypatch)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(meta.create_all)
        async with engine.begin() as conn:  # warm: the pool holds the connection from here on
            await conn.execute(insert(items).values(name="a"))

        start = hops.count
        async with engine.begin() as conn:
            await conn.execute(insert(items).values(name="b"))
        assert hops.since(start) == 2  # BEGIN IMMEDIATE with the INSERT, then COMMIT

        start = hops.count
        async with engine.begin() as conn:
            pass
        assert hops.since(start) == 0  # a transaction that ran nothing never reached the file

        start = hops.count
        async with single_read(engine) as conn:
            names = (await conn.execute(select(items.c.name).order_by(items.c.id))).scalars().all()
        assert names == ["a", "b"]
        assert hops.since(start) == 1  # no BEGIN, no ROLLBACK

        start = hops.count
        with pytest.raises(IntegrityError):
            async with engine.begin() as conn:
                await conn.execute(insert(items).values(name="a"))
        assert hops.since(start) == 2  # the failed INSERT (BEGIN with it), then the ROLLBACK it needed
        async with read_only_connection(engine) as conn:
            assert (await conn.execute(select(func.count()).select_from(items))).scalar_one() == 2
            raw = (await conn.get_raw_connection()).dbapi_connection
            assert raw._connection._conn.in_transaction  # type: ignore[union-attr]  # a deferred BEGIN: one snapshot
    finally:
        await engine.dispose()


async def test_a_begin_that_cannot_take_the_lock_fails_its_statement_and_leaves_nothing_open(tmp_path: Path) -> None:
    url = parse_database_url(f"sqlite:///{tmp_path / 'locked.db'}")
    holder = make_engine(url, "holder")
    waiter = make_engine(url, "waiter", keep_sqlite_connections=True)

    @event.listens_for(waiter.sync_engine, "connect")
    def _impatient(dbapi_conn: Any, _record: Any) -> None:  # after the engine's own PRAGMAs
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA busy_timeout=50")
        cursor.close()

    try:
        async with holder.begin() as conn:
            await conn.run_sync(meta.create_all)
        async with holder.begin() as held:
            await held.execute(insert(items).values(name="held"))  # holds the write lock from here
            async with waiter.connect() as conn:
                with pytest.raises(OperationalError, match="locked"):
                    await conn.execute(insert(items).values(name="blocked"))
                await conn.rollback()
                raw = (await conn.get_raw_connection()).dbapi_connection
                assert not raw._connection._conn.in_transaction  # type: ignore[union-attr]
        async with waiter.begin() as conn:  # the same pooled connection writes once the lock is free
            await conn.execute(insert(items).values(name="later"))
        async with single_read(waiter) as conn:
            assert (await conn.execute(select(items.c.name).order_by(items.c.id))).scalars().all() == ["held", "later"]
    finally:
        await holder.dispose()
        await waiter.dispose()


async def test_on_the_loop_a_write_hops_only_to_commit_and_long_reads_keep_their_hop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = parse_database_url(f"sqlite:///{tmp_path / 'loop.db'}")
    engine = make_engine(url, "test", keep_sqlite_connections=True, statements_on_loop=True)
    hops = _Hops(monkeypatch)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(meta.create_all)

        start = hops.count
        async with engine.begin() as conn:
            first = await conn.execute(insert(items).values(name="a"))
            assert first.inserted_primary_key == (1,)
            await conn.execute(update(items).where(items.c.id == 1).values(name="a!"))
            assert (await conn.execute(select(items.c.name))).scalar_one() == "a!"
        assert hops.since(start) == 1  # BEGIN IMMEDIATE and the statements on the loop, then the COMMIT

        start = hops.count
        async with single_read(engine) as conn:
            assert (await conn.execute(select(func.count()).select_from(items))).scalar_one() == 1
        assert hops.since(start) == 0

        start = hops.count
        with pytest.raises(IntegrityError):
            async with engine.begin() as conn:
                await conn.execute(insert(items).values(name="b"))
                await conn.execute(insert(items).values(name="a!"))  # the unique name: nothing of it stays
        assert hops.since(start) == 0  # the failure and its ROLLBACK on the loop too

        start = hops.count
        async with read_only_connection(engine) as conn:
            assert (await conn.execute(select(items.c.name))).scalars().all() == ["a!"]
        assert hops.since(start) == 2  # a read that may be long: its statement and its ROLLBACK hop

        async with engine.connect() as conn:  # a streamed read after statements on the loop
            streamed = await conn.stream(select(items.c.name))
            assert [row.name async for row in streamed] == ["a!"]
    finally:
        await engine.dispose()


async def test_a_write_on_the_loop_that_meets_a_held_lock_waits_on_the_thread_while_the_loop_serves_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Waiting for the lock on the loop's thread would stop the loop: the holder, in this same loop,
    could never commit, and the write would fail after the whole busy timeout."""
    url = parse_database_url(f"sqlite:///{tmp_path / 'held.db'}")
    holder = make_engine(url, "holder")
    waiter = make_engine(url, "waiter", keep_sqlite_connections=True, statements_on_loop=True)
    hops = _Hops(monkeypatch)

    async def write_later() -> None:
        async with waiter.begin() as conn:
            await conn.execute(insert(items).values(name="later"))
            await conn.execute(update(items).where(items.c.name == "later").values(name="later!"))

    try:
        async with holder.begin() as conn:
            await conn.run_sync(meta.create_all)
        async with waiter.begin() as conn:  # the waiter's connection has run statements on the loop
            await conn.execute(insert(items).values(name="first"))
        async with holder.begin() as held:
            await held.execute(insert(items).values(name="held"))  # holds the write lock from here
            start = hops.count
            writing = asyncio.create_task(write_later())
            while hops.since(start) == 0:  # its BEGIN found the lock taken and went to the thread
                await asyncio.sleep(0.01)
            async with single_read(waiter) as conn:  # meanwhile the loop answers others, on the loop
                assert (await conn.execute(select(func.count()).select_from(items))).scalar_one() == 1
            assert not writing.done()
        await writing  # the holder committed: the thread took the lock
        async with single_read(waiter) as conn:
            names = (await conn.execute(select(items.c.name).order_by(items.c.id))).scalars().all()
        assert names == ["first", "held", "later!"]
    finally:
        await holder.dispose()
        await waiter.dispose()

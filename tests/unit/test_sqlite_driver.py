"""The one-hop SQLite driver (kanban.db.sqlite_driver) keeps the DBAPI contract SQLAlchemy relies on."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from kanban.db.engine import make_engine
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

"""While split loads a table it has no secondary indexes and, on PostgreSQL, no foreign keys; both come back at the end.

This is what pg_restore does: building an index over loaded rows, or validating a foreign key in
one join, costs a fraction of maintaining them row by row. Primary keys and unique constraints
stay, guarding the data while it loads. Both steps are idempotent (by name), so a resumed run
takes away what is left and puts everything back at its end; adding a foreign key validates
every row, so a broken reference fails the run instead of being kept.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable

from sqlalchemy import ForeignKeyConstraint, Index, Table, inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.schema import AddConstraint, DropConstraint

from kanban.db.async_core import AsyncConnection, AsyncEngine
from kanban.ops.concurrently import drain

# Connections that build one database's indexes at once (PostgreSQL; SQLite has one writer).
INDEX_CONNECTIONS = 2


def _indexes(tables: Iterable[Table]) -> list[Index]:
    return [index for table in tables for index in sorted(table.indexes, key=lambda i: str(i.name)) if not index.unique]


def _foreign_keys(tables: Iterable[Table]) -> list[ForeignKeyConstraint]:
    return [
        fk
        for table in tables
        for fk in sorted(table.constraints, key=lambda c: str(c.name))
        if isinstance(fk, ForeignKeyConstraint)
    ]


def _present(sync: Connection, tables: list[Table]) -> tuple[set[str], set[str]]:
    inspector = inspect(sync)
    indexes = {ix["name"] for t in tables for ix in inspector.get_indexes(t.name) if ix["name"]}
    fks = {fk["name"] for t in tables for fk in inspector.get_foreign_keys(t.name) if fk["name"]}
    return indexes, fks


async def prepare_for_load(conn: AsyncConnection, tables: Iterable[Table]) -> None:
    wanted = list(tables)

    def drop(sync: Connection) -> None:
        indexes, fks = _present(sync, wanted)
        if sync.dialect.name == "postgresql":
            # SQLite cannot drop a constraint; its foreign key checks are cheap enough.
            for fk in _foreign_keys(wanted):
                if fk.name in fks:
                    sync.execute(DropConstraint(fk))
        for index in _indexes(wanted):
            if index.name in indexes:
                index.drop(sync)

    await conn.run_sync(drop)


async def finish_load(engine: AsyncEngine, tables: Iterable[Table]) -> None:
    """Build the missing indexes, then add the missing foreign keys (each validating every row).

    On PostgreSQL the indexes build on INDEX_CONNECTIONS connections at once, largest table first,
    as `pg_restore --jobs` builds them: each build is one backend's sort. The foreign keys follow on
    one connection, since adding two that reference the same table would wait on each other's lock.
    """
    wanted = list(tables)
    async with engine.connect() as conn:
        indexes, fks = await conn.run_sync(_present, wanted)
        sizes = await _table_sizes(conn, wanted)
    largest_first = sorted(wanted, key=lambda table: -sizes.get(table.name, 0))
    missing = [index for index in _indexes(largest_first) if index.name not in indexes]
    connections = INDEX_CONNECTIONS if engine.dialect.name == "postgresql" else 1
    async with contextlib.AsyncExitStack() as stack:
        sessions = [await stack.enter_async_context(engine.begin()) for _ in range(min(connections, len(missing)))]
        for session in sessions:
            await _sort_in_memory(session)
        await drain(missing, sessions, _create_index)
    if engine.dialect.name == "postgresql":
        async with engine.begin() as conn:
            await _sort_in_memory(conn)
            for fk in _foreign_keys(wanted):
                if fk.name not in fks:
                    await conn.execute(AddConstraint(fk))


async def _create_index(conn: AsyncConnection, index: Index) -> None:
    await conn.run_sync(index.create)


async def _sort_in_memory(conn: AsyncConnection) -> None:
    """Sorts for the index builds and the foreign key checks in memory, as a restore tuned for speed does."""
    if conn.dialect.name == "postgresql":
        await conn.exec_driver_sql("SET LOCAL maintenance_work_mem = '256MB'")
        await conn.exec_driver_sql("SET LOCAL work_mem = '64MB'")


async def _table_sizes(conn: AsyncConnection, tables: list[Table]) -> dict[str, int]:
    if conn.dialect.name != "postgresql":
        return {}
    rows = await conn.execute(
        text("SELECT relname, pg_relation_size(oid) FROM pg_class WHERE relkind = 'r' AND relname = ANY(:names)"),
        {"names": [t.name for t in tables]},
    )
    return {name: size for name, size in rows}

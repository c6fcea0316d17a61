"""While split loads a table it has no secondary indexes and, on PostgreSQL, no foreign keys; both come back at the end.

This is what pg_restore does: building an index over loaded rows, or validating a foreign key in
one join, costs a fraction of maintaining them row by row. Primary keys and unique constraints
stay, guarding the data while it loads. Both steps are idempotent (by name), so a resumed run
takes away what is left and puts everything back at its end; adding a foreign key validates
every row, so a broken reference fails the run instead of being kept.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ForeignKeyConstraint, Index, Table, inspect
from sqlalchemy.engine import Connection
from sqlalchemy.schema import AddConstraint, DropConstraint

from kanban.db.async_core import AsyncConnection


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


async def finish_load(conn: AsyncConnection, tables: Iterable[Table]) -> None:
    wanted = list(tables)

    def create(sync: Connection) -> None:
        indexes, fks = _present(sync, wanted)
        if sync.dialect.name == "postgresql":
            # Sorts for the index builds and the foreign key checks in memory, as a restore tuned for speed does.
            sync.exec_driver_sql("SET LOCAL maintenance_work_mem = '256MB'")
            sync.exec_driver_sql("SET LOCAL work_mem = '64MB'")
        for index in _indexes(wanted):
            if index.name not in indexes:
                index.create(sync)
        if sync.dialect.name == "postgresql":
            for fk in _foreign_keys(wanted):
                if fk.name not in fks:
                    sync.execute(AddConstraint(fk))

    await conn.run_sync(create)

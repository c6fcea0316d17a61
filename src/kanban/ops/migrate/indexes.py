"""Secondary indexes are dropped while split loads a table and built once at the end, as pg_restore does.

Building an index over loaded rows is several times cheaper than updating it row by row. Both
operations are idempotent, so a resumed run drops what is left and builds everything at its end.
Unique indexes and constraints stay: they guard the data while it is loaded.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Index, Table, inspect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection


def _secondary(tables: Iterable[Table]) -> list[Index]:
    return [index for table in tables for index in sorted(table.indexes, key=lambda i: str(i.name)) if not index.unique]


async def drop_secondary_indexes(conn: AsyncConnection, tables: Iterable[Table]) -> None:
    wanted = _secondary(tables)

    def drop(sync: Connection) -> None:
        inspector = inspect(sync)
        for table in {index.table.name for index in wanted if index.table is not None}:
            present = {ix["name"] for ix in inspector.get_indexes(table)}
            for index in wanted:
                if index.table is not None and index.table.name == table and index.name in present:
                    index.drop(sync)

    await conn.run_sync(drop)


async def create_secondary_indexes(conn: AsyncConnection, tables: Iterable[Table]) -> None:
    wanted = _secondary(tables)

    def create(sync: Connection) -> None:
        for index in wanted:
            index.create(sync, checkfirst=True)

    await conn.run_sync(create)

"""Writing batches of mapped rows fast: COPY on PostgreSQL, executemany on SQLite, inside the caller's transaction."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import JSON, Table, bindparam
from sqlalchemy.ext.asyncio import AsyncConnection


async def insert_rows(conn: AsyncConnection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    if not rows:
        return
    if conn.dialect.name != "postgresql":
        await conn.execute(table.insert(), list(rows))
        return
    names = list(rows[0])
    json_columns = {name for name in names if isinstance(table.c[name].type, JSON)}
    records = [
        tuple(json.dumps(row[n]) if n in json_columns and row[n] is not None else row[n] for n in names) for row in rows
    ]
    raw = await conn.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    # COPY through the driver joins the transaction only if one is already open on it; a COPY
    # outside it would commit on its own and break the batch-and-checkpoint atomicity.
    if not driver.is_in_transaction():
        raise RuntimeError("insert_rows needs a transaction with at least one statement already run")
    await driver.copy_records_to_table(table.name, records=records, columns=names)


async def update_rows(conn: AsyncConnection, table: Table, key: str, rows: Sequence[dict[str, Any]]) -> None:
    if not rows:
        return
    values: dict[str, Any] = {name: bindparam(f"v_{name}") for name in rows[0] if name != key}
    statement = table.update().where(table.c[key] == bindparam(f"v_{key}")).values(values)
    await conn.execute(statement, [{f"v_{k}": v for k, v in row.items()} for row in rows])

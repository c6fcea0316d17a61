"""Writing batches of mapped rows fast: COPY on PostgreSQL, executemany on SQLite, inside the caller's transaction."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import JSON, Table, bindparam

from kanban.db.async_core import AsyncConnection


async def insert_rows(conn: AsyncConnection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    if not rows:
        return
    if conn.dialect.name != "postgresql":
        await conn.execute(table.insert(), list(rows))
        return
    names = list(rows[0])
    json_at = [i for i, name in enumerate(names) if isinstance(table.c[name].type, JSON)]
    # Mapped rows share one key order, so their values line up with `names`.
    records: list[Any] = [tuple(row.values()) for row in rows]
    if json_at:
        records = [list(record) for record in records]
        for record in records:
            for i in json_at:
                if record[i] is not None:
                    record[i] = json.dumps(record[i])
    driver = await _driver_in_transaction(conn)
    await driver.copy_records_to_table(table.name, records=records, columns=names)


async def copy_text(conn: AsyncConnection, table: Table, columns: Sequence[str], data: bytes) -> None:
    """Rows already in PostgreSQL's COPY text format (a server-side copy's output) into `table`."""
    if data:
        driver = await _driver_in_transaction(conn)
        await driver.copy_to_table(table.name, source=io.BytesIO(data), columns=list(columns), format="text")


async def _driver_in_transaction(conn: AsyncConnection) -> Any:
    raw = await conn.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    # COPY through the driver joins the transaction only if one is already open on it; a COPY
    # outside it would commit on its own and break the batch-and-checkpoint atomicity.
    if not driver.is_in_transaction():
        raise RuntimeError("COPY needs a transaction with at least one statement already run")
    return driver


async def update_rows(conn: AsyncConnection, table: Table, key: str, rows: Sequence[dict[str, Any]]) -> None:
    if not rows:
        return
    values: dict[str, Any] = {name: bindparam(f"v_{name}") for name in rows[0] if name != key}
    statement = table.update().where(table.c[key] == bindparam(f"v_{key}")).values(values)
    await conn.execute(statement, [{f"v_{k}": v for k, v in row.items()} for row in rows])

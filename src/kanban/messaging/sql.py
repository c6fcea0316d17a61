"""Dialect-specific statements the messaging layer needs on both backends."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection


def dialect_insert(dialect: str, table: Table) -> Any:
    """The INSERT of `dialect` (the one with ON CONFLICT) into `table`."""
    return (postgresql if dialect == "postgresql" else sqlite).insert(table)


def insert_ignoring_duplicates(conn: AsyncConnection, table: Table, rows: list[dict[str, Any]]) -> Any:
    """An INSERT that skips rows whose key already exists (the dedupe of at-least-once delivery)."""
    return dialect_insert(conn.dialect.name, table).values(rows).on_conflict_do_nothing()


def upsert(conn: AsyncConnection, table: Table, row: dict[str, Any], keys: list[str]) -> Any:
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    # The row's own values, not `excluded`: an `excluded` alias is a new object per statement,
    # which costs a column copy per field on this hot path (every event an inbox applies).
    return (
        dialect.insert(table)
        .values(row)
        .on_conflict_do_update(index_elements=keys, set_={k: v for k, v in row.items() if k not in keys})
    )


def upsert_many(conn: AsyncConnection, table: Table, columns: list[str], keys: list[str]) -> Any:
    """An upsert to execute with a list of rows (distinct keys; each row's new values win).

    Its parameters are bound per row, so SQLAlchemy compiles it once and caches it, unlike a
    multi-row VALUES, which compiles anew for every count of rows.
    """
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table)
    return statement.on_conflict_do_update(
        index_elements=keys, set_={k: statement.excluded[k] for k in columns if k not in keys}
    )

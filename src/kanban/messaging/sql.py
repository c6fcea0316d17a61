"""Dialect-specific statements the messaging layer needs on both backends."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection


def insert_ignoring_duplicates(conn: AsyncConnection, table: Table, rows: list[dict[str, Any]]) -> Any:
    """An INSERT that skips rows whose key already exists (the dedupe of at-least-once delivery)."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(table).values(rows).on_conflict_do_nothing()


def upsert(conn: AsyncConnection, table: Table, row: dict[str, Any], keys: list[str]) -> Any:
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    # The row's own values, not `excluded`: an `excluded` alias is a new object per statement,
    # which costs a column copy per field on this hot path (every event an inbox applies).
    return (
        dialect.insert(table)
        .values(row)
        .on_conflict_do_update(index_elements=keys, set_={k: v for k, v in row.items() if k not in keys})
    )


def upsert_many(conn: AsyncConnection, table: Table, rows: list[dict[str, Any]], keys: list[str]) -> Any:
    """One statement upserting several rows with distinct keys (each row's new values win)."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table).values(rows)
    return statement.on_conflict_do_update(
        index_elements=keys, set_={k: statement.excluded[k] for k in rows[0] if k not in keys}
    )

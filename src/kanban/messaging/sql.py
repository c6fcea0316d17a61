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
    stmt = dialect.insert(table).values(row)
    return stmt.on_conflict_do_update(index_elements=keys, set_={k: stmt.excluded[k] for k in row if k not in keys})

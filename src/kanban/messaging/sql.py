"""Dialect-specific statements the messaging layer needs on both backends."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Table, bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite

from kanban.db.async_core import AsyncConnection


def dialect_insert(dialect: str, table: Table) -> Any:
    """The INSERT of `dialect` (the one with ON CONFLICT) into `table`."""
    return (postgresql if dialect == "postgresql" else sqlite).insert(table)


def insert_ignoring_duplicates(conn: AsyncConnection, table: Table) -> Any:
    """An INSERT that skips rows whose key already exists (the dedupe of at-least-once delivery).

    Execute it with one row or a list of rows: its values are bound parameters, so SQLAlchemy
    compiles it once (a multi-row VALUES never enters its compiled cache and compiles every time).
    """
    return _ignoring_duplicates(conn.dialect.name, table)


@lru_cache(maxsize=64)
def _ignoring_duplicates(dialect: str, table: Table) -> Any:
    return dialect_insert(dialect, table).on_conflict_do_nothing()


def unnested_insert(table: Table, columns: Sequence[str], prefix: str) -> Any:
    """PostgreSQL: an INSERT of any number of rows from one array parameter per column, named
    `<prefix>_<column>` (see `unnested_params`).

    For an INSERT that must be one statement with others (a data-modifying CTE), where an executemany
    cannot be: one statement for every count of rows, so it is compiled once, and no limit on the
    number of parameters. Rows go in the order of the arrays (`WITH ORDINALITY`), which an outbox
    relies on for the order of its sequence numbers.
    """
    arrays = (bindparam(f"{prefix}_{name}", type_=postgresql.ARRAY(table.c[name].type)) for name in columns)
    rows = func.unnest(*arrays).table_valued(*columns, with_ordinality="ordinal").render_derived()
    source = select(*(rows.c[name] for name in columns)).order_by(rows.c.ordinal)
    return postgresql.insert(table).from_select(list(columns), source)


def unnested_params(columns: Sequence[str], prefix: str, rows: Sequence[dict[str, Any]]) -> dict[str, list[Any]]:
    """The arrays of `unnested_insert` for `rows`."""
    return {f"{prefix}_{name}": [row[name] for row in rows] for name in columns}


async def upsert_row(conn: AsyncConnection, table: Table, row: dict[str, Any], keys: Sequence[str]) -> None:
    """Insert `row`, or give the existing row with the same `keys` the other values of `row`."""
    await conn.execute(upsert_statement(conn.dialect.name, table, tuple(row), tuple(keys)), row)


def upsert_many(conn: AsyncConnection, table: Table, columns: list[str], keys: list[str]) -> Any:
    """An upsert to execute with a list of rows (distinct keys; each row's new values win).

    Its parameters are bound per row, so SQLAlchemy compiles it once and caches it, unlike a
    multi-row VALUES, which compiles anew for every count of rows.
    """
    return upsert_statement(conn.dialect.name, table, tuple(columns), tuple(keys))


@lru_cache(maxsize=256)
def upsert_statement(dialect: str, table: Table, columns: tuple[str, ...], keys: tuple[str, ...]) -> Any:
    """The upsert of rows with `columns`, built once per shape: its values are the rows' bound parameters.

    Building a statement costs more CPU than SQLAlchemy's cached compile of it; the upserts of
    snapshots, cursors and analyses run for every event an inbox applies.
    """
    statement = dialect_insert(dialect, table)
    return statement.on_conflict_do_update(
        index_elements=list(keys), set_={k: statement.excluded[k] for k in columns if k not in keys}
    )

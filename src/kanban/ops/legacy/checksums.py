"""Row counts and order-independent content checksums of the legacy tables, computed by the server."""

from __future__ import annotations

import asyncio
import contextlib

import asyncpg

from kanban.db.urls import DatabaseUrl
from kanban.ops.legacy.layout import Layout, qualified
from kanban.ops.legacy.source import connect_in_snapshot

# Fixed output settings: the text form of a row must not depend on the session.
_SESSION = "SET LOCAL DateStyle = 'ISO, MDY'; SET LOCAL IntervalStyle = 'postgres'; SET LOCAL extra_float_digits = 1"

# Connections that checksum tables at once. Each table's digest is one backend's sort; the largest
# tables take most of the time, so two backends roughly halve it on a server with two cores or more.
CHECKSUM_CONNECTIONS = 2

Checksums = dict[str, dict[str, object]]


async def table_checksums(conn: asyncpg.Connection, layout: Layout, db: DatabaseUrl | None = None) -> Checksums:
    """{"schema.Table": {"rows": n, "sha256": hex}}; sha256 over the sorted md5 of each row's text.

    Must run inside a REPEATABLE READ transaction on `conn`: the digests are of its snapshot. Given
    `db` (the database `conn` is connected to), more connections share that snapshot (as `pg_dump
    --jobs` does) and take tables largest first, so the digests are the same, sooner.
    """
    tables = layout.tables()
    helpers: list[asyncpg.Connection] = []
    try:
        if db is not None and CHECKSUM_CONNECTIONS > 1 and len(tables) > 1:
            tables = await _largest_first(conn, tables)
            snapshot = await conn.fetchval("SELECT pg_export_snapshot()")
            helpers = [await connect_in_snapshot(db, snapshot) for _ in range(CHECKSUM_CONNECTIONS - 1)]
        pending = list(tables)
        found: Checksums = {}

        async def work(on: asyncpg.Connection) -> None:
            await on.execute(_SESSION)
            while pending:
                schema, table = pending.pop(0)
                found[f"{schema}.{table}"] = await _checksum(on, schema, table)

        # Every worker ends before this returns, a failed one too: the caller's connection is free again.
        for outcome in await asyncio.gather(work(conn), *(work(h) for h in helpers), return_exceptions=True):
            if isinstance(outcome, BaseException):
                raise outcome
        return {name: found[name] for name in (f"{s}.{t}" for s, t in layout.tables())}
    finally:
        for helper in helpers:
            with contextlib.suppress(Exception):
                await helper.close()


async def _checksum(conn: asyncpg.Connection, schema: str, table: str) -> dict[str, object]:
    row = await conn.fetchrow(
        "SELECT count(*) AS n, encode(sha256(convert_to(coalesce(string_agg(h, '' ORDER BY h), ''), 'UTF8')), 'hex') "
        f"AS digest FROM (SELECT md5(t::text) AS h FROM {qualified(schema, table)} t) s"
    )
    return {"rows": row["n"], "sha256": row["digest"]}


async def _largest_first(conn: asyncpg.Connection, tables: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """`tables` by their size on disk, largest first (a table no longer there sorts last, and fails when read)."""
    sizes = await conn.fetch(
        "SELECT n.nspname AS schema, c.relname AS table, pg_relation_size(c.oid) AS size FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p')"
    )
    size = {(r["schema"], r["table"]): r["size"] for r in sizes}
    return sorted(tables, key=lambda t: -size.get(t, -1))

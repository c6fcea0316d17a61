"""Row counts and order-independent content checksums of the legacy tables, computed by the server."""

from __future__ import annotations

import contextlib

import asyncpg

from kanban.db.urls import DatabaseUrl
from kanban.ops.concurrently import drain
from kanban.ops.errors import BackupError
from kanban.ops.legacy.layout import Layout, qualified
from kanban.ops.legacy.source import connect_in_snapshot

# Fixed output settings: the text form of a row must not depend on the session.
_SESSION = "SET LOCAL DateStyle = 'ISO, MDY'; SET LOCAL IntervalStyle = 'postgres'; SET LOCAL extra_float_digits = 1"

# Connections that checksum tables at once. Each table's digest is one backend's scan; the largest
# tables take most of the time, so two backends roughly halve it on a server with two cores or more.
CHECKSUM_CONNECTIONS = 2

Checksums = dict[str, dict[str, object]]

# The content digests, by the key a table's checksum is stored under (ADR 0043). Both are
# order-independent digests of each row's text:
# - "hash64": the exact sum of a 64-bit hash of each row (`hashtextextended`), one pass, no sort.
#   What backups record since ADR 0043.
# - "sha256": sha256 over the sorted md5 of each row, one string aggregate: two to three times the
#   server CPU. What earlier backups record; still computed to check against them.
_DIGESTS = {
    "hash64": 'SELECT count(*) AS n, coalesce(sum(hashtextextended(t::text COLLATE "C", 0)), 0)::text AS digest '
    "FROM {table} t",
    "sha256": "SELECT count(*) AS n, encode(sha256(convert_to(coalesce(string_agg(h, '' ORDER BY h), ''), 'UTF8')), "
    "'hex') AS digest FROM (SELECT md5(t::text) AS h FROM {table} t) s",
}
DIGEST = "hash64"


def digest_of(checksums: Checksums) -> str:
    """The digest `checksums` (a manifest's, say) were taken with; BackupError for one this version does not know."""
    kinds = {key for sums in checksums.values() for key in sums if key != "rows"}
    if not kinds:
        return DIGEST
    if len(kinds) > 1 or not kinds <= _DIGESTS.keys():
        raise BackupError(
            f"the manifest's checksums are of a kind this version cannot compute: {', '.join(sorted(kinds))}"
        )
    return kinds.pop()


async def table_checksums(
    conn: asyncpg.Connection, layout: Layout, db: DatabaseUrl | None = None, digest: str = DIGEST
) -> Checksums:
    """{"schema.Table": {"rows": n, digest: text}} (see _DIGESTS), for every table of `layout`.

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
        found: Checksums = {}
        sessions = [conn, *helpers]
        for session in sessions:
            await session.execute(_SESSION)

        async def checksum(on: asyncpg.Connection, table: tuple[str, str]) -> None:
            row = await on.fetchrow(_DIGESTS[digest].format(table=qualified(*table)))
            found[f"{table[0]}.{table[1]}"] = {"rows": row["n"], digest: row["digest"]}

        # Every worker ends before this returns, a failed one too: the caller's connection is free again.
        await drain(list(tables), sessions, checksum)
        return {name: found[name] for name in (f"{s}.{t}" for s, t in layout.tables())}
    finally:
        for helper in helpers:
            with contextlib.suppress(Exception):
                await helper.close()


async def _largest_first(conn: asyncpg.Connection, tables: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """`tables` by their size on disk, largest first (a table no longer there sorts last, and fails when read)."""
    sizes = await conn.fetch(
        "SELECT n.nspname AS schema, c.relname AS table, pg_relation_size(c.oid) AS size FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p')"
    )
    size = {(r["schema"], r["table"]): r["size"] for r in sizes}
    return sorted(tables, key=lambda t: -size.get(t, -1))

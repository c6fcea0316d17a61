"""Row counts and order-independent content checksums of the legacy tables, computed by the server."""

from __future__ import annotations

import asyncpg

from kanban.ops.legacy.layout import Layout, qualified

# Fixed output settings: the text form of a row must not depend on the session.
_SESSION = "SET LOCAL DateStyle = 'ISO, MDY'; SET LOCAL IntervalStyle = 'postgres'; SET LOCAL extra_float_digits = 1"


async def table_checksums(conn: asyncpg.Connection, layout: Layout) -> dict[str, dict[str, object]]:
    """{"schema.Table": {"rows": n, "sha256": hex}}; sha256 over the sorted md5 of each row's text.

    Must run inside a transaction (the settings are transaction-local).
    """
    await conn.execute(_SESSION)
    result: dict[str, dict[str, object]] = {}
    for schema, table in layout.tables():
        row = await conn.fetchrow(
            "SELECT count(*) AS n, encode(sha256(convert_to(coalesce(string_agg(h, '' ORDER BY h), ''), 'UTF8')), 'hex') "
            f"AS digest FROM (SELECT md5(t::text) AS h FROM {qualified(schema, table)} t) s"
        )
        result[f"{schema}.{table}"] = {"rows": row["n"], "sha256": row["digest"]}
    return result

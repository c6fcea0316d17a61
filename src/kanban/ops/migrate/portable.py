"""A backup format of our own for hosts without pg_dump: gzip JSON lines, the schema first, then rows per table.

The schema is read from the catalog (enum types, columns, defaults, constraints, indexes) with an
empty search_path, so every name comes out schema-qualified and restores where it came from.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import asyncpg

from kanban.db.files import open_private
from kanban.ops.errors import BackupError
from kanban.ops.legacy.layout import Layout, qualified

BATCH = 5000


async def _describe(conn: asyncpg.Connection, layout: Layout) -> dict[str, Any]:
    await conn.execute("SET LOCAL search_path = ''")
    enums = await conn.fetch(
        "SELECT n.nspname AS schema, t.typname AS name, array_agg(e.enumlabel ORDER BY e.enumsortorder) AS labels "
        "FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace "
        "WHERE n.nspname = ANY($1::text[]) GROUP BY 1, 2 ORDER BY 1, 2",
        list(layout.schemas),
    )
    tables = []
    for schema, table in layout.tables():
        oid = await conn.fetchval("SELECT $1::regclass::oid", qualified(schema, table))
        columns = await conn.fetch(
            "SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null, "
            "pg_get_expr(d.adbin, d.adrelid) AS default FROM pg_attribute a "
            "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
            "WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
            oid,
        )
        constraints = await conn.fetch(
            "SELECT conname AS name, contype::text AS kind, pg_get_constraintdef(oid) AS def FROM pg_constraint "
            "WHERE conrelid = $1 ORDER BY conname",
            oid,
        )
        indexes = await conn.fetch(
            "SELECT pg_get_indexdef(i.indexrelid) AS def FROM pg_index i WHERE i.indrelid = $1 "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) ORDER BY 1",
            oid,
        )
        tables.append({
            "schema": schema, "name": table, "columns": [dict(c) for c in columns],
            "constraints": [dict(c) for c in constraints], "indexes": [r["def"] for r in indexes],
        })  # fmt: skip
    await conn.execute("SET LOCAL search_path = DEFAULT")
    return {"format": "kanban-portable-v1", "schemas": list(layout.schemas),
            "enums": [dict(e) | {"labels": list(e["labels"])} for e in enums], "tables": tables}  # fmt: skip


async def dump(conn: asyncpg.Connection, layout: Layout, path: Path) -> None:
    """Write the legacy schemas to `path`; runs inside the caller's snapshot transaction."""
    header = await _describe(conn, layout)
    with open_private(path, "wb", encoding=None) as raw, gzip.open(raw, "wt", encoding="utf-8") as out:
        out.write(json.dumps(header) + "\n")
        for schema, table in layout.tables():
            out.write(json.dumps({"table": [schema, table]}) + "\n")
            name = qualified(schema, table)
            cursor = conn.cursor(f"SELECT row_to_json(t)::text FROM {name} t", prefetch=BATCH)
            async for (line,) in cursor:
                out.write(line + "\n")


def _ddl(header: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(statements before the data, statements after it): foreign keys and indexes come after."""
    before, after = [], []
    for schema in header["schemas"]:
        before.append(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
    for table in header["tables"]:
        before.append(f"DROP TABLE IF EXISTS {qualified(table['schema'], table['name'])} CASCADE")
    for enum in header["enums"]:
        labels = ", ".join("'" + label.replace("'", "''") + "'" for label in enum["labels"])
        before.append(f"DROP TYPE IF EXISTS {qualified(enum['schema'], enum['name'])} CASCADE")
        before.append(f"CREATE TYPE {qualified(enum['schema'], enum['name'])} AS ENUM ({labels})")
    for table in header["tables"]:
        name = qualified(table["schema"], table["name"])
        parts = []
        for c in table["columns"]:
            parts.append(
                f'"{c["name"]}" {c["type"]}' + (" NOT NULL" if c["not_null"] else "")
                + (f" DEFAULT {c['default']}" if c["default"] is not None else "")
            )  # fmt: skip
        for con in table["constraints"]:
            if con["kind"] == "f":
                after.append(f'ALTER TABLE {name} ADD CONSTRAINT "{con["name"]}" {con["def"]}')
            else:
                parts.append(f'CONSTRAINT "{con["name"]}" {con["def"]}')
        before.append(f"CREATE TABLE {name} ({', '.join(parts)})")
        after.extend(table["indexes"])
    return before, after


async def restore(conn: asyncpg.Connection, path: Path) -> None:
    """Recreate the legacy schemas from `path` in one transaction: all or nothing."""
    try:
        source = gzip.open(path, "rt", encoding="utf-8")  # noqa: SIM115 - read to its end below, closed by `with`
        header = json.loads(source.readline())
    except (OSError, ValueError) as exc:
        raise BackupError(f"{path} is not a portable backup: {exc}") from None
    before, after = _ddl(header)
    async with conn.transaction():
        await conn.execute("SET LOCAL search_path = ''")
        for statement in before:
            await conn.execute(statement)
        table: str | None = None
        rows: list[str] = []
        with source:
            for line in source:
                if line.startswith('{"table": '):
                    await _insert(conn, table, rows)
                    schema, name = json.loads(line)["table"]
                    table, rows = qualified(schema, name), []
                    continue
                rows.append(line)
                if len(rows) >= BATCH:
                    await _insert(conn, table, rows)
                    rows = []
            await _insert(conn, table, rows)
        for statement in after:
            await conn.execute(statement)


async def _insert(conn: asyncpg.Connection, table: str | None, rows: list[str]) -> None:
    if table is None or not rows:
        return
    await conn.execute(
        f"INSERT INTO {table} SELECT * FROM json_populate_recordset(NULL::{table}, $1::json)",
        "[" + ",".join(rows) + "]",
    )

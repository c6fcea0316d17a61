"""A checksum of everything in a service database, to compare two runs of split row for row."""

from __future__ import annotations

from sqlalchemy import inspect

from kanban.db.engine import make_engine
from kanban.db.urls import DatabaseUrl
from kanban.ops.migrate.expected import target_digest
from kanban.ops.migrate.targets import METADATA

# Assigned by the database or the clock at insert time, not by the migration.
VOLATILE = {"outbox": {"seq", "created_at"}}


async def fingerprint(db: DatabaseUrl, service: str) -> dict[str, tuple[int, str]]:
    engine = make_engine(db, "kanban-test")
    try:
        async with engine.connect() as conn:
            present = set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))
        result = {}
        for table in METADATA[service].sorted_tables:
            columns = [c.name for c in table.columns if c.name not in VOLATILE.get(table.name, set())]
            digest = await target_digest(engine, table, columns)
            result[table.name] = (digest.rows, digest.hexdigest())
        result["(tables)"] = (len(present), ",".join(sorted(present)))
        return result
    finally:
        await engine.dispose()

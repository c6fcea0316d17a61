"""The two service databases as migration targets: open them, bring them to head, tell whether they hold data."""

from __future__ import annotations

import asyncio

from sqlalchemy import MetaData, func, inspect, select
from sqlalchemy.exc import SQLAlchemyError

from kanban.api import tables as api_tables
from kanban.db import migrations
from kanban.db.async_core import AsyncEngine
from kanban.db.engine import make_engine
from kanban.db.urls import DatabaseUrl
from kanban.ops.errors import SameDatabase, TargetUnreachable
from kanban.worker import tables as worker_tables

SCRIPT_LOCATIONS = {"api": "kanban.api:migrations", "worker": "kanban.worker:migrations"}
METADATA: dict[str, MetaData] = {"api": api_tables.metadata, "worker": worker_tables.metadata}


def check_distinct(source: DatabaseUrl | None, api: DatabaseUrl, worker: DatabaseUrl) -> None:
    if api.same_database_as(worker):
        raise SameDatabase(f"the API and Worker databases are the same database ({api.redacted()}): give two")
    if source is not None:
        for name, db in (("API", api), ("Worker", worker)):
            if db.same_database_as(source):
                raise SameDatabase(f"the {name} database is the legacy source ({db.redacted()}): give a new database")


async def open_target(db: DatabaseUrl, service: str) -> AsyncEngine:
    engine = make_engine(db, f"kanban-migrate-{service}", pool_size=2)
    try:
        async with engine.connect():
            pass
    except (OSError, SQLAlchemyError) as exc:
        await engine.dispose()
        cause = getattr(exc, "orig", None) or exc
        reason = str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
        raise TargetUnreachable(f"cannot connect to the {service} database {db.redacted()}: {reason}") from None
    return engine


async def upgrade_to_head(service: str, db: DatabaseUrl) -> None:
    await asyncio.to_thread(migrations.upgrade, SCRIPT_LOCATIONS[service], db)


async def rows_in(engine: AsyncEngine, service: str) -> dict[str, int]:
    """The service's tables that exist here and hold rows, with their row counts."""
    metadata = METADATA[service]
    async with engine.connect() as conn:
        present = set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))
        counts = {}
        for table in metadata.sorted_tables:
            if table.name in present:
                n = (await conn.execute(select(func.count()).select_from(table))).scalar_one()
                if n:
                    counts[table.name] = int(n)
    return counts

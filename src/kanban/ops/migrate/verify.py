"""`kanban migrate verify`: the runbook's success criteria and the data itself, checked as a ✓/✗ list."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import asyncpg
from sqlalchemy import delete, func, inspect, select
from sqlalchemy.exc import SQLAlchemyError

from kanban.db import migrations
from kanban.db.async_core import AsyncEngine
from kanban.db.types import utcnow
from kanban.db.urls import DatabaseUrl
from kanban.ops.errors import OpsError
from kanban.ops.migrate import checkpoint
from kanban.ops.migrate.canonical import TableDigest
from kanban.ops.migrate.expected import ExpectedTables, target_digest
from kanban.ops.migrate.split import map_source
from kanban.ops.migrate.targets import METADATA, SCRIPT_LOCATIONS, open_target

# Tables only one service has: finding one in the other database means a shared schema.
ONLY_IN = {"api": {"tasks", "users", "boards", "hints"}, "worker": {"agent_jobs", "task_snapshots", "agent_memory"}}


@dataclass(frozen=True)
class Check:
    ok: bool
    label: str
    detail: str = ""

    def line(self) -> str:
        return f"{'✓' if self.ok else '✗'} {self.label}" + (f": {self.detail}" if self.detail else "")


async def verify(source: DatabaseUrl, api: DatabaseUrl, worker: DatabaseUrl) -> list[Check]:
    dbs = {"api": api, "worker": worker}
    checks = [
        Check(not api.same_database_as(worker), "two separate databases (API and Worker)",
              "" if not api.same_database_as(worker) else f"both are {api.redacted()}"),
        Check(not any(db.same_database_as(source) for db in dbs.values()), "neither target is the legacy database"),
    ]  # fmt: skip
    engines: dict[str, AsyncEngine] = {}
    try:
        for service, db in dbs.items():
            if db.is_sqlite and not Path(db.database).exists():  # noqa: ASYNC240 - one stat
                checks.append(Check(False, f"{service} database exists", f"no file {db.database}"))
                continue
            try:
                engines[service] = await open_target(db, service)
            except OpsError as exc:
                checks.append(Check(False, f"{service} database reachable", str(exc)))
        at_head = []
        for service, engine in engines.items():
            service_checks = await _service_checks(service, dbs[service], engine)
            checks += service_checks
            at_head.append(service_checks[0].ok)
        checks += await _role_checks(api, worker)
        if len(engines) == 2 and all(at_head):
            checks += await _data_checks(source, engines)
        else:
            checks.append(
                Check(
                    False, "the data matches the legacy source", "not compared: both databases need their schema first"
                )
            )
    finally:
        for engine in engines.values():
            await engine.dispose()
    return checks


async def _service_checks(service: str, db: DatabaseUrl, engine: AsyncEngine) -> list[Check]:
    head = migrations.head(SCRIPT_LOCATIONS[service])
    current = await migrations.current(db)
    label = f"{service} database schema at head"
    if current is None:
        # An empty database: say so in words and skip what needs tables, rather than print their errors.
        return [Check(False, label, "the database is empty (no schema): run `kanban migrate split` first")]
    if current != head:
        return [Check(False, label, f"at {current}, head is {head}: run `kanban db upgrade {service}`")]
    checks = [Check(True, label, f"at {head}")]
    try:
        await _read_write(engine, service)
        checks.append(Check(True, f"{service} database can read and write", "in a rolled-back transaction"))
    except Exception as exc:  # noqa: BLE001 - any failure is the answer to this check
        checks.append(Check(False, f"{service} database can read and write", str(exc).splitlines()[0]))
    other = "worker" if service == "api" else "api"
    async with engine.connect() as conn:
        present = set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))
    unfinished = checkpoint.TABLE_NAME in present
    checks.append(Check(not unfinished, f"no unfinished split in the {service} database",
                        "rerun the same `kanban migrate split` to finish it" if unfinished else ""))  # fmt: skip
    foreign = sorted(present & ONLY_IN[other])
    checks.append(Check(not foreign, f"{service} database holds none of the {other}'s tables (no shared database)",
                        ", ".join(foreign)))  # fmt: skip
    return checks


async def _read_write(engine: AsyncEngine, service: str) -> None:
    leases = METADATA[service].tables["leases"]
    async with engine.connect() as conn:
        transaction = await conn.begin()
        try:
            await conn.execute(
                leases.insert(), {"name": "kanban-migrate-verify", "owner": "verify", "expires_at": utcnow()}
            )
            n = (
                await conn.execute(
                    select(func.count()).select_from(leases).where(leases.c.name == "kanban-migrate-verify")
                )
            ).scalar_one()
            if n != 1:
                raise RuntimeError("a row written was not read back")
            await conn.execute(delete(leases).where(leases.c.name == "kanban-migrate-verify"))
        finally:
            await transaction.rollback()


async def _role_checks(api: DatabaseUrl, worker: DatabaseUrl) -> list[Check]:
    """When each service has its own role (kanban_api, kanban_worker or any two): each must be refused by the other database."""
    if not (api.is_postgres and worker.is_postgres):
        return []
    if not api.url.username or api.url.username == worker.url.username:
        return []
    checks = []
    for role_db, other_db in ((api, worker), (worker, api)):
        crossing = role_db.url.set(host=other_db.url.host, port=other_db.url.port, database=other_db.database)
        dsn = crossing.set(drivername="postgresql").render_as_string(hide_password=False)
        try:
            conn = await asyncpg.connect(dsn, timeout=10)
        except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
            reason = str(exc).splitlines()[0]
            checks.append(Check(True, f"role {role_db.url.username} cannot connect to {other_db.database}", reason))
            continue
        await conn.close()
        checks.append(
            Check(False, f"role {role_db.url.username} cannot connect to {other_db.database}", "it connected")
        )
    return checks


async def _data_checks(source: DatabaseUrl, engines: dict[str, AsyncEngine]) -> list[Check]:
    sink = ExpectedTables()
    try:
        await map_source(source, sink)
    except OpsError as exc:
        return [Check(False, "legacy source readable", str(exc))]
    checks = []
    for table, want in sorted(sink.digests().items()):
        service = sink.services[table]
        columns = sink.columns.get(table)
        if columns is None:  # nothing to migrate: the target must be empty too
            columns = [c.name for c in METADATA[service].tables[table].columns]
        try:
            got: TableDigest = await target_digest(engines[service], METADATA[service].tables[table], columns)
        except SQLAlchemyError as exc:
            reason = str(getattr(exc, "orig", exc)).splitlines()[0]
            checks.append(Check(False, f"{service}.{table} readable", f"cannot read the table ({reason})"))
            continue
        label = f"{service}.{table}: {want.rows:,} rows match the source through the mapping"
        if got.rows != want.rows:
            checks.append(Check(False, label, f"the target has {got.rows:,}"))
        else:
            checks.append(
                Check(
                    got.hexdigest() == want.hexdigest(),
                    label,
                    "" if got.hexdigest() == want.hexdigest() else "content differs",
                )
            )
    return checks

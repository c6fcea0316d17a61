"""Where a split run stands: a table the tool creates in each target and drops when the run succeeds.

It stays out of the product schema on purpose: no migration of ours knows it. Each batch commits
with its checkpoint row, so a rerun resumes after the last committed batch, and with the rows the
rules changed or dropped in it (the listing), so the run's full listing survives interruptions too.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Boolean, Column, Integer, MetaData, String, Table, Text, inspect, select

from kanban.db.async_core import AsyncConnection
from kanban.ops.legacy.findings import Findings
from kanban.ops.legacy.report import csv_lines
from kanban.ops.migrate.writer import insert_rows

TABLE_NAME = "kanban_migrate_checkpoints"
LISTING_TABLE_NAME = "kanban_migrate_listing"
RUN_STEP = "__run__"

_metadata = MetaData()
checkpoints = Table(
    TABLE_NAME,
    _metadata,
    Column("run_id", String(36), primary_key=True),
    Column("step", String(64), primary_key=True),
    Column("after_key", Text, nullable=True),
    Column("rows_read", Integer, nullable=False),
    Column("rows_written", Integer, nullable=False),
    Column("findings", Text, nullable=False),
    Column("done", Boolean, nullable=False),
)
listing = Table(
    LISTING_TABLE_NAME,
    _metadata,
    Column("run_id", String(36), nullable=False),
    Column("step", String(64), nullable=False),
    Column("rule", String(64), nullable=False),
    Column("row_id", Text, nullable=False),
)


@dataclass
class StepState:
    after: str | None = None
    rows_read: int = 0
    rows_written: int = 0
    findings: Findings = field(default_factory=Findings)
    done: bool = False


@dataclass
class RunRecord:
    run_id: str
    info: dict[str, Any]
    steps: dict[str, StepState]


async def exists(conn: AsyncConnection) -> bool:
    return await conn.run_sync(lambda sync: inspect(sync).has_table(TABLE_NAME))


async def create(conn: AsyncConnection) -> None:
    await conn.run_sync(lambda sync: _metadata.create_all(sync, checkfirst=True))


async def drop(conn: AsyncConnection) -> None:
    await conn.run_sync(lambda sync: _metadata.drop_all(sync, checkfirst=True))


async def load(conn: AsyncConnection) -> RunRecord | None:
    """The run recorded in this database, or None when there is none."""
    if not await exists(conn):
        return None
    rows = (await conn.execute(select(checkpoints))).mappings().all()
    run = next((r for r in rows if r["step"] == RUN_STEP), None)
    if run is None:
        return None
    steps = {
        r["step"]: StepState(
            r["after_key"], r["rows_read"], r["rows_written"], Findings.from_json(json.loads(r["findings"])), r["done"]
        )
        for r in rows
        if r["step"] != RUN_STEP and r["run_id"] == run["run_id"]
    }
    return RunRecord(run["run_id"], json.loads(run["findings"]), steps)


async def start_run(conn: AsyncConnection, run_id: str, info: dict[str, Any]) -> None:
    await conn.execute(
        checkpoints.insert(),
        {"run_id": run_id, "step": RUN_STEP, "after_key": None, "rows_read": 0, "rows_written": 0,
         "findings": json.dumps(info), "done": False},
    )  # fmt: skip


async def update_run(conn: AsyncConnection, run_id: str, info: dict[str, Any]) -> None:
    await conn.execute(
        checkpoints.update()
        .where(checkpoints.c.run_id == run_id, checkpoints.c.step == RUN_STEP)
        .values(findings=json.dumps(info))
    )


async def save(conn: AsyncConnection, run_id: str, step: str, state: StepState) -> None:
    values = {
        "after_key": state.after,
        "rows_read": state.rows_read,
        "rows_written": state.rows_written,
        "findings": json.dumps(state.findings.to_json()),
        "done": state.done,
    }
    where = (checkpoints.c.run_id == run_id, checkpoints.c.step == step)
    result = await conn.execute(checkpoints.update().where(*where).values(values))
    if result.rowcount == 0:
        await conn.execute(checkpoints.insert(), {"run_id": run_id, "step": step, **values})
    await add_listed_rows(conn, run_id, [(step, rule, row_id) for rule, row_id in state.findings.batch])


async def add_listed_rows(conn: AsyncConnection, run_id: str, rows: list[tuple[str, str, str]]) -> None:
    if rows:
        # COPY on PostgreSQL: a batch of tasks can list every one of its rows.
        await insert_rows(
            conn, listing, [{"run_id": run_id, "step": s, "rule": rule, "row_id": row_id} for s, rule, row_id in rows]
        )


async def listed_rows(conn: AsyncConnection, run_id: str) -> list[tuple[str, str, str]]:
    """(step, rule, row id) of every row the run's committed batches changed or dropped."""
    if conn.dialect.name == "postgresql":
        # The listing can name most rows of the database: the driver's records, without a Row per row.
        driver = (await conn.get_raw_connection()).driver_connection
        assert driver is not None
        records = await driver.fetch(
            f"SELECT step, rule, row_id FROM {LISTING_TABLE_NAME} WHERE run_id = $1 ORDER BY step, rule, row_id", run_id
        )
        return [(r[0], r[1], r[2]) for r in records]
    query = select(listing.c.step, listing.c.rule, listing.c.row_id).where(listing.c.run_id == run_id)
    rows = await conn.execute(query.order_by(listing.c.step, listing.c.rule, listing.c.row_id))
    return [(r.step, r.rule, r.row_id) for r in rows]


async def copy_listing(
    conn: AsyncConnection, run_id: str, meanings: dict[str, str], write: Callable[[bytes], object]
) -> int:
    """Hand `write` the run's listed rows as CSV lines (step, rule, row id, the rule's meaning), in
    byte order of step, rule and row id; return how many.

    The listing can name most rows of the database. On PostgreSQL the server sorts it and writes the
    CSV (COPY), so no row of it becomes a Python object; "C" order is byte order, as SQLite's is.
    """
    if conn.dialect.name != "postgresql":
        rows = await listed_rows(conn, run_id)
        write(csv_lines((step, rule, row_id, meanings.get(rule, "")) for step, rule, row_id in rows))
        return len(rows)
    driver = (await conn.get_raw_connection()).driver_connection
    assert driver is not None

    async def sink(chunk: bytes) -> None:
        write(chunk)

    status = await driver.copy_from_query(
        f'SELECT l.step, l.rule, l.row_id, coalesce(m.meaning, \'\') FROM {LISTING_TABLE_NAME} l '
        "LEFT JOIN unnest($2::text[], $3::text[]) AS m(rule, meaning) ON m.rule = l.rule WHERE l.run_id = $1 "
        'ORDER BY l.step COLLATE "C", l.rule COLLATE "C", l.row_id COLLATE "C"',
        run_id, list(meanings), list(meanings.values()), output=sink, format="csv",
    )  # fmt: skip
    return int(status.split()[-1])

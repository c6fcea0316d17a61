"""`kanban migrate split` against a plain pg_dump | pg_restore of the same legacy database.

    .venv/bin/python -m bench.migrate_split                  # about 200,000 legacy rows
    .venv/bin/python -m bench.migrate_split --tasks 60000 --layout consolidated

Budget (DESIGN.md): ≥ 20,000 rows/s and within 2× of dump-and-restore. The split is timed from
start to end with a backup already taken (as the runbook takes it before), so it includes checking
the source against that backup, bringing both targets to head, seeding the outbox and building
the indexes. Needs PostgreSQL on 127.0.0.1 (KANBAN_BENCH_PG_URL).
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
from tests.fixtures.legacy.generate import build_legacy_database

from bench.support import PG_ADMIN, drop_database, machine
from kanban.db.urls import DatabaseUrl, parse_database_url
from kanban.ops.migrate.backup import take_backup
from kanban.ops.migrate.progress import SilentProgress
from kanban.ops.migrate.split import SplitOptions, split


async def empty_database(role: str) -> DatabaseUrl:
    name = f"bench_migrate_{role}_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(PG_ADMIN)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return parse_database_url(PG_ADMIN).with_database(name)


def dump_and_restore(source: DatabaseUrl, target: DatabaseUrl) -> float:
    started = time.perf_counter()
    dump = subprocess.Popen(["pg_dump", "--format=custom", f"--dbname={source.libpq_dsn}"], stdout=subprocess.PIPE)
    subprocess.run(["pg_restore", "--no-owner", f"--dbname={target.libpq_dsn}"], stdin=dump.stdout, check=True)
    dump.wait()
    return time.perf_counter() - started


async def run(tasks: int, layout: str) -> str:
    dbs = {role: await empty_database(role) for role in ("legacy", "restored", "api", "worker")}
    try:
        facts = await build_legacy_database(dbs["legacy"].libpq_dsn, layout=layout, tasks=tasks)
        rows = sum(facts.rows.values())
        restore_seconds = await asyncio.to_thread(dump_and_restore, dbs["legacy"], dbs["restored"])
        with tempfile.TemporaryDirectory() as tmp:
            backup = Path(tmp) / "legacy.dump"
            await take_backup(dbs["legacy"], backup)
            started = time.perf_counter()
            await split(SplitOptions(dbs["legacy"], dbs["api"], dbs["worker"], backup=backup), SilentProgress())
            split_seconds = time.perf_counter() - started
    finally:
        for db in dbs.values():
            await drop_database(db)
    rate, ratio = rows / split_seconds, split_seconds / restore_seconds
    verdict = "✓" if rate >= 20_000 and ratio <= 2 else "✗"
    return (
        f"| migrate split ({layout}) | {rows:,} rows | {split_seconds:.2f} s, {rate:,.0f} rows/s | "
        f"pg_dump \\| pg_restore {restore_seconds:.2f} s ({ratio:.1f}×) | {verdict} | {machine()} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=30_000, help="legacy tasks; every task brings about 6.7 rows")
    parser.add_argument("--layout", default="single", choices=["single", "consolidated"])
    args = parser.parse_args()
    print("| benchmark | data | result | baseline | budget | machine |")
    print("|---|---|---|---|---|---|")
    print(asyncio.run(run(args.tasks, args.layout)))


if __name__ == "__main__":
    main()

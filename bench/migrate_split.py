"""Benchmark of `kanban migrate split` against a plain pg_dump | pg_restore of the same legacy database.

Budget (DESIGN.md): split ≥ 20,000 rows/s and within 2× of dump-and-restore. Needs PostgreSQL on
127.0.0.1 (KANBAN_BENCH_PG_URL, default postgresql://postgres@127.0.0.1:5432/postgres). Prints one
Markdown table row:

    .venv/bin/python bench/migrate_split.py --tasks 30000      # about 200k legacy rows
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kanban.db.urls import parse_database_url  # noqa: E402
from kanban.ops.migrate.backup import take_backup  # noqa: E402
from kanban.ops.migrate.progress import SilentProgress  # noqa: E402
from kanban.ops.migrate.split import SplitOptions, split  # noqa: E402
from tests.fixtures.legacy.generate import build_legacy_database  # noqa: E402

ADMIN = os.environ.get("KANBAN_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


async def admin(sql: str) -> None:
    conn = await asyncpg.connect(ADMIN)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def run(tasks: int, layout: str) -> str:
    token = uuid.uuid4().hex[:8]
    names = {k: f"kbench_{token}_{k}" for k in ("legacy", "restored", "api", "worker")}
    base = parse_database_url(ADMIN)
    for name in names.values():
        await admin(f'CREATE DATABASE "{name}"')
    try:
        legacy = base.with_database(names["legacy"])
        facts = await build_legacy_database(legacy.libpq_dsn, layout=layout, tasks=tasks)
        rows = sum(facts.rows.values())

        started = time.perf_counter()
        dump = subprocess.Popen(["pg_dump", "--format=custom", f"--dbname={legacy.libpq_dsn}"], stdout=subprocess.PIPE)
        subprocess.run(
            ["pg_restore", "--no-owner", f"--dbname={base.with_database(names['restored']).libpq_dsn}"],
            stdin=dump.stdout, check=True,
        )  # fmt: skip
        dump.wait()
        dump_restore = time.perf_counter() - started

        with tempfile.TemporaryDirectory() as tmp:
            backup = Path(tmp) / "legacy.dump"
            await take_backup(legacy, backup)
            options = SplitOptions(
                legacy, base.with_database(names["api"]), base.with_database(names["worker"]), backup=backup
            )
            started = time.perf_counter()
            await split(options, SilentProgress())
            split_seconds = time.perf_counter() - started
    finally:
        for name in names.values():
            await admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    rate = rows / split_seconds
    ratio = split_seconds / dump_restore
    verdict = "✓" if rate >= 20_000 and ratio <= 2 else "✗"
    return (
        f"| {layout} | {rows:,} | {split_seconds:.2f} s | {rate:,.0f} rows/s | {dump_restore:.2f} s | {ratio:.2f}× | "
        f"{verdict} | {os.cpu_count()} CPU, {platform.python_version()} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=30_000, help="legacy tasks (about 6.7 rows each in all)")
    parser.add_argument("--layout", default="single", choices=["single", "consolidated"])
    args = parser.parse_args()
    print(
        "| layout | legacy rows | split (with source check, without backup) | split rate | pg_dump \\| pg_restore | ratio | budget | machine |"
    )
    print("|---|---|---|---|---|---|---|---|")
    print(asyncio.run(run(args.tasks, args.layout)))


if __name__ == "__main__":
    main()

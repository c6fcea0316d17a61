"""`kanban migrate split` against a plain pg_dump | pg_restore of the same legacy database.

    .venv/bin/python -m bench.migrate_split                  # about 200,000 legacy rows
    .venv/bin/python -m bench.migrate_split --tasks 60000 --layout consolidated

Budget (DESIGN.md): ≥ 20,000 rows/s and within 2× of dump-and-restore. On a shared machine wall
clock mostly measures the queue for a core, so both are also given in CPU seconds: the `kanban
migrate split` process (or pg_dump and pg_restore) plus the PostgreSQL backends serving the
benchmark's databases, read from /proc while they run (a backend's last fraction of a second before
it exits can be missed). The split runs as the command an operator runs, in its own process (not
in this one, whose heap holds the generated legacy data), from start to end with a backup already
taken (as the runbook takes it before), so it includes checking
the source against that backup, bringing both targets to head, seeding the outbox and building
the indexes. Needs PostgreSQL on 127.0.0.1 (KANBAN_BENCH_PG_URL).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable
from pathlib import Path
from typing import TypeVar

import asyncpg
from tests.fixtures.legacy.generate import build_legacy_database

from bench.support import PG_ADMIN, drop_database, machine
from kanban.db.urls import DatabaseUrl, parse_database_url
from kanban.ops.migrate.backup import take_backup

T = TypeVar("T")


async def empty_database(role: str) -> DatabaseUrl:
    name = f"bench_migrate_{role}_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(PG_ADMIN)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return parse_database_url(PG_ADMIN).with_database(name)


class ServerCpu:
    """CPU seconds of the PostgreSQL backends connected to some databases, sampled from /proc while they live."""

    def __init__(self, databases: list[str]) -> None:
        self._databases = databases
        self._seen: dict[int, float] = {}
        self._stop = asyncio.Event()

    async def sample(self) -> None:
        conn = await asyncpg.connect(PG_ADMIN)
        try:
            while not self._stop.is_set():
                pids = await conn.fetch(
                    "SELECT pid FROM pg_stat_activity WHERE datname = ANY($1::text[])", self._databases
                )
                for (pid,) in pids:
                    self._seen[pid] = max(self._seen.get(pid, 0.0), _process_cpu(pid))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), 0.2)
        finally:
            await conn.close()

    async def measure(self, work: Awaitable[T]) -> tuple[T, float]:
        self._seen, self._stop = {}, asyncio.Event()
        sampler = asyncio.create_task(self.sample())
        try:
            result = await work
        finally:
            self._stop.set()
            await sampler
        return result, sum(self._seen.values())


def _process_cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


async def _split_command(dbs: dict[str, DatabaseUrl], backup: Path) -> None:
    """`kanban migrate split` as an operator runs it: its own process, its progress discarded."""

    def url(db: DatabaseUrl) -> str:
        return db.url.render_as_string(hide_password=False)

    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "kanban.cli.main", "migrate", "split", "--source", url(dbs["legacy"]),
        "--api", url(dbs["api"]), "--worker", url(dbs["worker"]), "--backup", str(backup),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, err = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"kanban migrate split failed: {err.decode()[-2000:]}")


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
        server = ServerCpu([db.database for db in dbs.values()])
        load = os.getloadavg()[0]
        tools = _children_cpu()
        restore_seconds, restore_server = await server.measure(
            asyncio.to_thread(dump_and_restore, dbs["legacy"], dbs["restored"])
        )
        restore_cpu = _children_cpu() - tools + restore_server
        with tempfile.TemporaryDirectory() as tmp:
            backup = Path(tmp) / "legacy.dump"
            await take_backup(dbs["legacy"], backup)
            started, own = time.perf_counter(), _children_cpu()
            _, split_server = await server.measure(_split_command(dbs, backup))
            split_seconds = time.perf_counter() - started
            split_own = _children_cpu() - own
        load = max(load, os.getloadavg()[0])
    finally:
        for db in dbs.values():
            await drop_database(db)
    rate, ratio = rows / split_seconds, split_seconds / restore_seconds
    split_cpu = split_own + split_server
    verdict = "✓" if rate >= 20_000 and ratio <= 2 else "✗"
    return (
        f"| migrate split ({layout}) | {rows:,} rows | {split_seconds:.2f} s, {rate:,.0f} rows/s; "
        f"CPU {split_cpu:.1f} s ({split_own:.1f} split process + {split_server:.1f} server) | "
        f"pg_dump \\| pg_restore {restore_seconds:.2f} s ({ratio:.1f}×); CPU {restore_cpu:.1f} s "
        f"({split_cpu / restore_cpu:.1f}×) | {verdict} | {machine()}, load {load:.1f} |"
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

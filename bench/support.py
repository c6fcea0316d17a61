"""Shared pieces of the benchmarks: scratch databases, service processes, percentiles, the processes' own counters."""

from __future__ import annotations

import asyncio
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
import httpx

from kanban.db import migrations
from kanban.db.urls import DatabaseUrl, parse_database_url

PG_ADMIN = os.environ.get("KANBAN_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
SECRET = "bench-events-secret-0123456789"
JWT = "bench-jwt-secret-0123456789abcdef0123456789"


def machine() -> str:
    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def summary_ms(values: list[float]) -> str:
    return f"p50 {percentile(values, 50) * 1000:.1f} ms, p99 {percentile(values, 99) * 1000:.1f} ms (n={len(values)}, mean {statistics.mean(values) * 1000:.1f} ms)"


async def scratch_database(service: str, backend: str, workdir: Path) -> DatabaseUrl:
    name = f"bench_{service}_{uuid.uuid4().hex[:8]}"
    if backend == "sqlite":
        db = parse_database_url(f"sqlite:///{workdir / name}.db")
    else:
        conn = await asyncpg.connect(PG_ADMIN)
        await conn.execute(f'CREATE DATABASE "{name}"')
        await conn.close()
        db = parse_database_url(PG_ADMIN).with_database(name)
    await asyncio.to_thread(migrations.upgrade, f"kanban.{service}:migrations", db)
    return db


async def drop_database(db: DatabaseUrl) -> None:
    if db.is_postgres:
        conn = await asyncpg.connect(PG_ADMIN)
        await conn.execute(f'DROP DATABASE IF EXISTS "{db.database}" WITH (FORCE)')
        await conn.close()


def start_service(
    service: str, env: dict[str, str], port: int, log: Path, extra_args: tuple[str, ...] = ()
) -> subprocess.Popen[bytes]:
    child = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), "KANBAN_PORT": str(port)} | env
    if "PYTHONPATH" in os.environ:  # benchmarking another checkout: its services run its code
        child["PYTHONPATH"] = os.environ["PYTHONPATH"]
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "kanban.cli.main", service, *extra_args], env=child, stdout=out, stderr=out
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health/live", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"{service} did not start; see {log}")


async def sign_up_on_default_board(client: httpx.AsyncClient, email: str) -> str:
    """Register `email`, sign the client in with its token, and return the id of its default board."""
    reply = await client.post("/auth/register", json={"email": email, "password": "bench password 1"})
    client.headers["Authorization"] = f"Bearer {reply.json()['accessToken']}"
    return str((await client.get("/boards/default")).json()["id"])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def workdir() -> Path:
    return Path(tempfile.mkdtemp(prefix="kanban-bench-"))


def services_env(api_db: DatabaseUrl, worker_db: DatabaseUrl, transport: str, api_port: int, worker_port: int,
                 **extra: str) -> dict[str, str]:  # fmt: skip
    """The environment of both services of a benchmark: their databases, the transport, the peers' addresses."""
    return {
        "API_DATABASE_URL": api_db.url.render_as_string(hide_password=False),
        "WORKER_DATABASE_URL": worker_db.url.render_as_string(hide_password=False),
        "KANBAN_TRANSPORT": transport,
        "KANBAN_EVENTS_SECRET": SECRET,
        "KANBAN_JWT_SECRET": JWT,
        "KANBAN_API_EVENTS_URL": f"http://127.0.0.1:{api_port}/internal/events",
        "KANBAN_WORKER_EVENTS_URL": f"http://127.0.0.1:{worker_port}/internal/events",
        "KANBAN_LOG_LEVEL": "WARNING",
    } | extra


def api_alone_env(api_db: DatabaseUrl, **extra: str) -> dict[str, str]:
    """The environment of an API run without a Worker: its events stay in the outbox."""
    return {
        "API_DATABASE_URL": api_db.url.render_as_string(hide_password=False),
        "KANBAN_TRANSPORT": "http",
        "KANBAN_EVENTS_SECRET": SECRET,
        "KANBAN_JWT_SECRET": JWT,
        "KANBAN_WORKER_EVENTS_URL": "http://127.0.0.1:9/internal/events",
        "KANBAN_LOG_LEVEL": "WARNING",
    } | extra


async def stop_services(procs: list[subprocess.Popen[bytes]], *databases: DatabaseUrl) -> None:
    """Stop the benchmark's processes (gracefully, as an operator would) and drop its databases."""
    for proc in procs:
        proc.terminate()
    for proc in procs:
        proc.wait(30)
    for db in databases:
        await drop_database(db)


# --- the server's own counters: CPU and memory from /proc, which hold on a shared machine -------


def process_tree(pid: int) -> list[int]:
    """`pid` and its descendants (`kanban api --workers N` serves from child processes)."""
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            queue.extend(int(child) for child in task.read_text().split())
    return found


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time the processes have used so far, from their own counters."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (clock ticks)
    return total / os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int) -> float:
    """Resident memory of one process (VmRSS), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class CpuMeter:
    """CPU per operation of a group of processes: `start()` before a phase, `per_op_ms(n)` after it."""

    def __init__(self, pids: list[int]) -> None:
        self.pids = pids
        self._start = 0.0

    def start(self) -> None:
        self._start = cpu_seconds(self.pids)

    def per_op_ms(self, operations: int) -> float:
        return 1000 * (cpu_seconds(self.pids) - self._start) / max(operations, 1)


def rss_summary(named: dict[str, list[int]]) -> str:
    """'api 61.2 MiB, worker 70.3 MiB': the RSS of each process of each named group."""
    return ", ".join(
        f"{name} " + " + ".join(f"{rss_mib(pid):.1f}" for pid in pids) + " MiB" for name, pids in named.items()
    )

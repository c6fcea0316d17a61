"""Idle memory of the server processes: `kanban up` (supervisor and its one services process, or with
`--separate` its two), and each service alone.

    .venv/bin/python -m bench.footprint

Each setup starts on fresh SQLite files in a scratch directory, is left idle until its background
loops settle, and the resident memory (VmRSS from /proc) of every process of its tree is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from bench.support import (
    api_alone_env,
    free_port,
    machine,
    process_tree,
    rss_mib,
    scratch_database,
    services_env,
    start_service,
    stop_services,
    workdir,
)


def _wait_healthy(urls: list[str], proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    pending = list(urls)
    while pending and time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(pending[0], timeout=1).status_code == 200:
                pending.pop(0)
                continue
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    if pending:
        raise RuntimeError(f"not healthy: {pending}")


def _tree_rss(pid: int) -> str:
    pids = process_tree(pid)
    each = [f"{rss_mib(p):.1f}" for p in pids]
    total = sum(rss_mib(p) for p in pids)
    return f"{total:.1f} MiB ({' + '.join(each)})"


def _kanban_up_rss(work: Path, idle: float, *flags: str) -> str:
    """Start `kanban up FLAGS` on fresh files, wait until both services answer and `idle` more seconds, measure."""
    api_port, worker_port = free_port(), free_port()
    up = subprocess.Popen(
        [sys.executable, "-m", "kanban.cli.main", "up", "--data-dir", str(work / f"up{''.join(flags)}"),
         "--api-port", str(api_port), "--worker-port", str(worker_port), *flags],
        env=os.environ | {"KANBAN_LOG_LEVEL": "WARNING"}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        _wait_healthy([f"http://127.0.0.1:{api_port}/health/live", f"http://127.0.0.1:{worker_port}/health/live"], up)
        time.sleep(idle)
        return _tree_rss(up.pid)
    finally:
        up.terminate()
        up.wait(60)


async def main(args: argparse.Namespace) -> None:
    work = workdir()
    print(f"| idle RSS, kanban up (supervisor + API and Worker) | {_kanban_up_rss(work, args.idle)} | {machine()} |")
    print(
        f"| idle RSS, kanban up --separate (supervisor + 2 children) | {_kanban_up_rss(work, args.idle, '--separate')} |"
    )
    api_db = await scratch_database("api", "sqlite", work)
    worker_db = await scratch_database("worker", "sqlite", work)
    api = start_service("api", api_alone_env(api_db), free_port(), work / "api.log")
    worker = start_service("worker", services_env(api_db, worker_db, "http", 9, 9), free_port(), work / "worker.log")
    try:
        await asyncio.sleep(args.idle)
        print(f"| idle RSS, kanban api alone | {_tree_rss(api.pid)} |")
        print(f"| idle RSS, kanban worker alone | {_tree_rss(worker.pid)} |")
    finally:
        await stop_services([api, worker], api_db, worker_db)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--idle", type=float, default=5, help="seconds idle before measuring")
    asyncio.run(main(parser.parse_args()))

"""A burst of tasks created one after another: each one's first hint on the board stream, and where it waited.

    .venv/bin/python -m bench.hint_burst --tasks 150

Both services on SQLite with the `http` transport (what `kanban up` runs). Tasks are created one
after another as fast as the API answers; a reader of the board's SSE stream notes when each
task's first `hints` message arrives. Then the two databases' own timestamps split each task's
wait into stages (create → API relay → Worker inbox → job → Worker outbox → relay → API inbox
applied), and the processes' CPU counters give the CPU per task of each service.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import time
from datetime import datetime
from itertools import pairwise
from pathlib import Path

import httpx

from bench.support import (
    cpu_seconds,
    free_port,
    machine,
    percentile,
    scratch_database,
    services_env,
    sign_up_on_default_board,
    start_service,
    stop_services,
    workdir,
)

TITLES = ("Email {n} about the invoice", "Call the dentist {n}", "Buy milk and bread {n}", "Fix the bike tyre {n}")
# Stages in the order a task passes them: (label, database, SQL giving task id and a timestamp).
STAGES = (
    ("created", "api", "SELECT id, created_at FROM tasks"),
    ("in Worker inbox", "worker", "SELECT aggregate_id, received_at FROM inbox WHERE event_type = 'task.created'"),
    ("job queued", "worker", "SELECT task_id, MIN(created_at) FROM agent_jobs GROUP BY task_id"),
    ("hints committed", "worker",
     "SELECT aggregate_id, MIN(created_at) FROM outbox WHERE event_type = 'hints.proposed' GROUP BY aggregate_id"),
    ("in API inbox", "api",
     "SELECT aggregate_id, MIN(received_at) FROM inbox WHERE event_type = 'hints.proposed' GROUP BY aggregate_id"),
    ("applied", "api",
     "SELECT aggregate_id, MIN(processed_at) FROM inbox WHERE event_type = 'hints.proposed' GROUP BY aggregate_id"),
)  # fmt: skip


async def _watch(client: httpx.AsyncClient, board_id: str, first: dict[str, float], ready: asyncio.Event) -> None:
    async with client.stream("GET", f"/boards/{board_id}/stream", timeout=httpx.Timeout(10, read=None)) as reply:
        event = ""
        async for line in reply.aiter_lines():
            ready.set()
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:") and event == "hints":
                first.setdefault(json.loads(line[5:])["taskId"], time.monotonic())


def _stages(dbs: dict[str, Path]) -> dict[str, dict[str, float]]:
    at: dict[str, dict[str, float]] = {}
    for label, db, sql in STAGES:
        with sqlite3.connect(dbs[db]) as conn:
            for task_id, stamp in conn.execute(sql):
                if stamp is not None:
                    at.setdefault(task_id, {})[label] = datetime.fromisoformat(str(stamp)).timestamp()
    return {task_id: stages for task_id, stages in at.items() if len(stages) == len(STAGES)}


def _line(label: str, values: list[float]) -> str:
    return f"| {label} | {percentile(values, 50):.2f} s | {percentile(values, 95):.2f} s | {max(values):.2f} s |"


async def main(args: argparse.Namespace) -> None:
    work = workdir()
    api_db, worker_db = await scratch_database("api", "sqlite", work), await scratch_database("worker", "sqlite", work)
    api_port, worker_port = free_port(), free_port()
    env = services_env(api_db, worker_db, "http", api_port, worker_port)
    procs = [
        start_service("worker", env, worker_port, work / "worker.log"),
        start_service("api", env, api_port, work / "api.log"),
    ]
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{api_port}/api/v1", timeout=60) as client:
            board_id = await sign_up_on_default_board(client, "burst@example.test")
            first: dict[str, float] = {}
            ready = asyncio.Event()
            watcher = asyncio.create_task(_watch(client, board_id, first, ready))
            await asyncio.wait_for(ready.wait(), 10)
            cpu_before = [cpu_seconds([p.pid]) for p in procs]
            sent: dict[str, float] = {}
            start = time.monotonic()
            for n in range(args.tasks):
                t0 = time.monotonic()
                body = {"title": TITLES[n % len(TITLES)].format(n=n)}
                sent[(await client.post(f"/boards/{board_id}/tasks", json=body)).json()["id"]] = t0
            while len(first.keys() & sent.keys()) < len(sent) and time.monotonic() - start < 300:
                await asyncio.sleep(0.05)
            took = max(first.values()) - start
            await asyncio.sleep(2)  # the acknowledgements of the last hints are work too
            cpu = [cpu_seconds([p.pid]) - before for p, before in zip(procs, cpu_before, strict=True)]
            watcher.cancel()
        latency = [first[t] - t0 for t, t0 in sent.items() if t in first]
        print(f"{args.tasks} tasks, {machine()}; all first hints after {took:.2f} s")
        print("| stage | p50 | p95 | max |\n|---|---|---|---|")
        print(_line("create request → first hint on the stream", latency))
        at = _stages({"api": Path(api_db.database or ""), "worker": Path(worker_db.database or "")})
        for (before, _, _), (label, _, _) in pairwise(STAGES):
            print(_line(f"{before} → {label}", [s[label] - s[before] for s in at.values()]))
        print(f"CPU per task: Worker {1000 * cpu[0] / args.tasks:.1f} ms, API {1000 * cpu[1] / args.tasks:.1f} ms")
    finally:
        await stop_services(procs, api_db, worker_db)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=150)
    asyncio.run(main(parser.parse_args()))

"""Flow analytics budgets: every analytics endpoint on a board of 5,000 tasks and 100,000 events.

    .venv/bin/python -m bench.analytics --backend postgres
    .venv/bin/python -m bench.analytics --backend sqlite

The history is seeded with bulk inserts straight into the API database (a year of random walks
through the GTD columns, edits in between), then the API runs as its own process and each
endpoint is requested `--rounds` times over loopback; the figure is the client-side time of the
request, so it is server time plus one loopback round trip. The 10,000-trial Monte Carlo is also
timed alone, in this process, to separate the simulation from the history it samples.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import text

from bench.support import (
    api_alone_env,
    cpu_seconds,
    free_port,
    machine,
    scratch_database,
    start_service,
    stop_services,
    workdir,
)
from kanban.api.analytics import forecast
from kanban.api.tables import columns, task_events, tasks
from kanban.db.engine import make_engine
from kanban.db.types import new_id

LANES = ("@Phone", "@Email", "@Desk")
FLOW_TYPES = ("CONTEXT", "WAITING")


async def _seed(db: Any, board_id: str, owner_id: str, n_tasks: int, n_events: int, seed: int) -> int:
    """A year of history: each task is captured, clarified, worked, sometimes reopened or trashed."""
    rng = random.Random(seed)
    engine = make_engine(db, "kanban-bench")
    now = datetime.now(UTC)
    try:
        async with engine.begin() as conn:
            rows = (await conn.execute(columns.select().where(columns.c.board_id == board_id))).all()
            by_type: dict[str, list[Any]] = {}
            for r in rows:
                by_type.setdefault(r.type, []).append(r)
            position = len(rows)
            for name in LANES:
                lane = {"id": new_id(), "board_id": board_id, "name": name, "type": "CONTEXT", "wip_limit": 20,
                        "position": position, "created_at": now, "updated_at": now}  # fmt: skip
                await conn.execute(columns.insert().values(**lane))
                by_type["CONTEXT"].append(type("Col", (), lane))
                position += 1
            events: list[dict[str, Any]] = []
            task_rows: list[dict[str, Any]] = []
            per_task = n_events // n_tasks
            positions: dict[str, int] = {}
            for n in range(n_tasks):
                task_id = new_id()
                at = now - timedelta(days=365 * rng.random() ** 0.7, minutes=rng.randrange(1440))
                created_at = at
                col = by_type["INPUT"][0]
                log: list[dict[str, Any]] = [
                    {"type": "created", "to_column_id": col.id, "to_column_type": "INPUT",
                     "payload": {"title": f"Task {n}", "wipOverride": False}}
                ]  # fmt: skip
                times = [at]
                moves = rng.randrange(2, 8)
                for step in range(moves):
                    at = at + timedelta(hours=rng.expovariate(1 / 40))
                    if at >= now:
                        break
                    last = step == moves - 1
                    kind = (
                        "DONE" if last and rng.random() < 0.8 else rng.choice(("CONTEXT", "CONTEXT", "WAITING", "INPUT",
                                                                              "SOMEDAY", "DONE", "ARCHIVE"))
                    )  # fmt: skip
                    target = rng.choice(by_type[kind])
                    if target.id == col.id:
                        continue
                    log.append({"type": "moved", "from_column_id": col.id, "to_column_id": target.id,
                                "from_column_type": col.type, "to_column_type": kind,
                                "payload": {"changedFields": ["column_id", "position"],
                                            "wipOverride": rng.random() < 0.02}})  # fmt: skip
                    times.append(at)
                    col = target
                deleted = rng.random() < 0.04
                while len(log) < per_task - (1 if deleted else 0):
                    times.append(times[-1] + timedelta(minutes=rng.randrange(1, 600)))
                    log.append({"type": "updated", "payload": {"changedFields": ["title"]}})
                if deleted:
                    times.append(times[-1] + timedelta(hours=1))
                    log.append({"type": "deleted", "from_column_id": col.id, "from_column_type": col.type,
                                "payload": {"title": f"Task {n}"}})  # fmt: skip
                for entry, when in zip(log, sorted(times), strict=True):
                    events.append({"id": new_id(), "task_id": task_id, "board_id": board_id, "from_column_id": None,
                                   "to_column_id": None, "from_column_type": None, "to_column_type": None,
                                   "triggered_by": "bench", **entry, "created_at": min(when, now)})  # fmt: skip
                if not deleted:
                    pos = positions[col.id] = positions.get(col.id, -1) + 1
                    task_rows.append({"id": task_id, "board_id": board_id, "column_id": col.id, "owner_id": owner_id,
                                      "title": f"Task {n}", "position": pos, "version": len(log),
                                      "is_done": col.type == "DONE", "created_at": created_at,
                                      "updated_at": min(times[-1], now), "last_moved_at": min(times[-1], now)})  # fmt: skip
            for chunk in range(0, len(task_rows), 2000):
                await conn.execute(tasks.insert(), task_rows[chunk : chunk + 2000])
            for chunk in range(0, len(events), 5000):
                await conn.execute(task_events.insert(), events[chunk : chunk + 5000])
        if db.is_postgres:
            # What autovacuum does after a bulk load (insert-triggered since PostgreSQL 13): the
            # planner's statistics and the visibility map that index-only scans rely on.
            async with engine.connect() as conn:
                await conn.execution_options(isolation_level="AUTOCOMMIT")
                await conn.execute(text("VACUUM ANALYZE task_events"))
                await conn.execute(text("VACUUM ANALYZE tasks"))
        return len(events)
    finally:
        await engine.dispose()


def _ms(values: list[float]) -> str:
    ordered = sorted(values)
    return f"p50 {ordered[len(ordered) // 2] * 1000:.0f} ms, max {ordered[-1] * 1000:.0f} ms"


async def main(args: argparse.Namespace) -> None:
    work = workdir()
    api_db = await scratch_database("api", args.backend, work)
    port = free_port()
    api = start_service("api", api_alone_env(api_db), port, work / "api.log")
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}/api/v1", timeout=120) as client:
            reply = await client.post("/auth/register", json={"email": "flow@example.test", "password": "bench pw 12345",
                                                              "timezone": "Europe/Berlin"})  # fmt: skip
            auth = {"Authorization": f"Bearer {reply.json()['accessToken']}"}
            board = (await client.get("/boards/default", headers=auth)).json()
            me = (await client.get("/users/me", headers=auth)).json()
            started = time.perf_counter()
            n_events = await _seed(api_db, board["id"], me["id"], args.tasks, args.events, args.seed)
            print(f"seeded {args.tasks:,} tasks and {n_events:,} events in {time.perf_counter() - started:.1f} s")
            today = date.today()
            base = f"/boards/{board['id']}/analytics"
            year = {"from": (today - timedelta(days=364)).isoformat(), "to": today.isoformat()}
            cases: list[tuple[str, str, dict[str, Any]]] = [
                ("cfd, 90 days", "cfd", {}),
                ("cfd, 365 days", "cfd", year),
                ("throughput by day, 365 days", "throughput", year),
                ("throughput by week, 365 days, CSV", "throughput", {**year, "interval": "week", "format": "csv"}),
                ("cycle-time, 90 days", "cycle-time", {}),
                ("cycle-time, 365 days", "cycle-time", year),
                ("aging", "aging", {}),
                ("time-in-column, 90 days", "time-in-column", {}),
                ("wip-overrides, 365 days", "wip-overrides", year),
                ("forecast/when, 50 items, 10,000 trials", "forecast/when", {"items": 50}),
                ("forecast/how-many, 30 days, 10,000 trials", "forecast/how-many",
                 {"date": (today + timedelta(days=29)).isoformat()}),
                # The board itself carries its cards' aging: the first load replays the history (its
                # max), later ones within five minutes reuse the process's kept answer (its p50).
                ("GET /boards/{id}: 5,000 cards with their aging", "", {}),
            ]  # fmt: skip
            print(f"\n| endpoint ({args.backend}, {args.tasks:,} tasks, {n_events:,} events) | request time "
                  "| API CPU per request | machine |")  # fmt: skip
            print("|---|---|---|---|")
            for label, path, params in cases:
                times = []
                cpu_before = cpu_seconds([api.pid])
                for _ in range(args.rounds):
                    t0 = time.perf_counter()
                    r = await client.get(f"{base}/{path}" if path else f"/boards/{board['id']}", params=params,
                                         headers=auth)  # fmt: skip
                    times.append(time.perf_counter() - t0)
                    assert r.status_code == 200, r.text
                cpu = (cpu_seconds([api.pid]) - cpu_before) / args.rounds
                print(f"| {label} | {_ms(times)} | {cpu * 1000:.0f} ms | {machine()}, load {os.getloadavg()[0]:.1f} |")
            pick = random.Random(1)
            sample = [pick.choice((0, 0, 1, 2, 3, 5)) for _ in range(60)]
            for label, run in (
                ("Monte Carlo alone: when, 50 items", lambda: forecast.when(sample, 50, 10_000, 1)),
                ("Monte Carlo alone: how many, 30 days", lambda: forecast.how_many(sample, 30, 10_000, 1)),
                ("Monte Carlo alone: how many, 366 days", lambda: forecast.how_many(sample, 366, 10_000, 1)),
            ):
                times = []
                for _ in range(5):
                    t0 = time.process_time()  # CPU, like the API column: the wall clock is shared
                    run()
                    times.append(time.process_time() - t0)
                print(f"| {label} (10,000 trials, pure Python) | – | {_ms(times)} | {machine()} |")
    finally:
        await stop_services([api], api_db)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="postgres")
    parser.add_argument("--tasks", type=int, default=5000)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--seed", type=int, default=14)
    asyncio.run(main(parser.parse_args()))

"""API budgets: create a task, move a task under 32 clients, load a board of 1,000 tasks.

    .venv/bin/python -m bench.api_load --backend postgres
    .venv/bin/python -m bench.api_load --backend sqlite

The API runs as its own process (one uvicorn worker); the load generator shares the same two
cores, so the figures are a floor for what a dedicated server would do.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import time

import httpx

from bench.support import (
    JWT,
    SECRET,
    drop_database,
    free_port,
    machine,
    scratch_database,
    start_service,
    summary_ms,
    workdir,
)


async def _timed(client: httpx.AsyncClient, method: str, url: str, **kw: object) -> tuple[float, httpx.Response]:
    start = time.perf_counter()
    reply = await client.request(method, url, **kw)  # type: ignore[arg-type]
    return time.perf_counter() - start, reply


async def main(args: argparse.Namespace) -> None:
    work = workdir()
    api_db = await scratch_database("api", args.backend, work)
    port = free_port()
    env = {
        "API_DATABASE_URL": api_db.url.render_as_string(hide_password=False),
        "KANBAN_TRANSPORT": "http",
        "KANBAN_EVENTS_SECRET": SECRET,
        "KANBAN_JWT_SECRET": JWT,
        "KANBAN_WORKER_EVENTS_URL": "http://127.0.0.1:9/internal/events",  # no Worker: events stay in the outbox
        "KANBAN_LOG_LEVEL": "WARNING",
    }
    api = start_service("api", env, port, work / "api.log")
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}/api/v1", limits=limits, timeout=60) as client:
            reply = await client.post(
                "/auth/register", json={"email": "bench@example.test", "password": "bench password 1"}
            )
            client.headers["Authorization"] = f"Bearer {reply.json()['accessToken']}"
            board = (await client.get("/boards/default")).json()
            board_id = board["id"]
            columns = [c["id"] for c in board["columns"] if c["type"] not in ("DONE", "ARCHIVE")]

            # Create: `clients` concurrent loops until `creates` tasks exist.
            counter = itertools.count()
            create_times: list[float] = []

            async def creator() -> None:
                while (n := next(counter)) < args.creates:
                    took, r = await _timed(
                        client, "POST", f"/boards/{board_id}/tasks", json={"title": f"Bench task {n}"}
                    )
                    assert r.status_code == 201, r.text
                    create_times.append(took)

            start = time.perf_counter()
            await asyncio.gather(*(creator() for _ in range(args.clients)))
            create_rate = args.creates / (time.perf_counter() - start)
            print(
                f"| create task ({args.backend}, {args.clients} clients) | {create_rate:,.0f} req/s | {summary_ms(create_times)} | {machine()} |"
            )

            # Board load with 1,000 tasks.
            task_ids: list[str] = []
            while len(task_ids) < args.creates:
                page = (
                    await client.get(f"/boards/{board_id}/tasks", params={"limit": 200, "offset": len(task_ids)})
                ).json()
                task_ids += [t["id"] for t in page["items"]]
            loads = [(await _timed(client, "GET", f"/boards/{board_id}"))[0] for _ in range(args.loads)]
            print(f"| load board with {len(task_ids)} tasks ({args.backend}) | {summary_ms(loads)} | {machine()} |")

            # Move: 32 clients, each moving its own tasks between columns for `seconds`.
            move_times: list[float] = []
            deadline = time.perf_counter() + args.seconds

            async def mover(i: int) -> None:
                mine = task_ids[i :: args.move_clients]
                for step in itertools.count():
                    if time.perf_counter() > deadline:
                        return
                    task = mine[step % len(mine)]
                    target = columns[(step + i) % len(columns)]
                    took, r = await _timed(client, "POST", f"/tasks/{task}/move", json={"columnId": target})
                    assert r.status_code == 200, r.text
                    move_times.append(took)

            await asyncio.gather(*(mover(i) for i in range(args.move_clients)))
            print(
                f"| move task ({args.backend}, {args.move_clients} clients) | {summary_ms(move_times)} | {machine()} |"
            )
    finally:
        api.terminate()
        api.wait(30)
        await drop_database(api_db)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="postgres")
    parser.add_argument("--creates", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--loads", type=int, default=30)
    parser.add_argument("--move-clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=15)
    asyncio.run(main(parser.parse_args()))

"""API budgets: create a task, move a task under 32 clients, load a board of 1,000 tasks.

    .venv/bin/python -m bench.api_load --backend postgres
    .venv/bin/python -m bench.api_load --backend sqlite

The API runs as its own process; the load generator shares the same two cores, so the figures
are a floor for what a dedicated server would do. A personal board has one owner, so each
simulated client is its own user on its own board.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import time
from typing import Any

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


async def _timed(client: httpx.AsyncClient, method: str, url: str, **kw: Any) -> tuple[float, httpx.Response]:
    start = time.perf_counter()
    reply = await client.request(method, url, **kw)  # type: ignore[arg-type]
    return time.perf_counter() - start, reply


async def _user(client: httpx.AsyncClient, n: int) -> dict[str, Any]:
    reply = await client.post(
        "/auth/register", json={"email": f"bench{n}@example.test", "password": "bench password 1"}
    )
    auth = {"Authorization": f"Bearer {reply.json()['accessToken']}"}
    board = (await client.get("/boards/default", headers=auth)).json()
    columns = [c["id"] for c in board["columns"] if c["type"] not in ("DONE", "ARCHIVE")]
    return {"auth": auth, "board": board["id"], "columns": columns, "tasks": []}


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
        "KANBAN_REGISTRATIONS_PER_HOUR": "100000",  # every bench user registers from loopback
    }
    api = start_service("api", env, port, work / "api.log", ("--workers", str(args.workers)))
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}/api/v1", limits=limits, timeout=60) as client:
            # A personal board has one owner: each simulated client is its own user with its own board.
            users = [await _user(client, n) for n in range(max(args.clients, args.move_clients))]

            counter = itertools.count()
            create_times: list[float] = []

            async def creator(user: dict[str, Any]) -> None:
                while (n := next(counter)) < args.creates:
                    took, r = await _timed(
                        client,
                        "POST",
                        f"/boards/{user['board']}/tasks",
                        json={"title": f"Bench task {n}"},
                        headers=user["auth"],
                    )
                    assert r.status_code == 201, r.text
                    user["tasks"].append(r.json()["id"])
                    create_times.append(took)

            start = time.perf_counter()
            await asyncio.gather(*(creator(users[i]) for i in range(args.clients)))
            create_rate = args.creates / (time.perf_counter() - start)
            print(
                f"| create task ({args.backend}, {args.clients} clients, {args.workers} API process(es)) | {create_rate:,.0f} req/s | {summary_ms(create_times)} | {machine()} |"
            )

            # Board load: one user's board filled to `board_tasks` tasks.
            owner = users[0]
            while len(owner["tasks"]) < args.board_tasks:
                r = await client.post(
                    f"/boards/{owner['board']}/tasks", json={"title": "Filler"}, headers=owner["auth"]
                )
                owner["tasks"].append(r.json()["id"])
            loads = [
                (await _timed(client, "GET", f"/boards/{owner['board']}", headers=owner["auth"]))[0]
                for _ in range(args.loads)
            ]
            print(
                f"| load board with {len(owner['tasks'])} tasks ({args.backend}) | {summary_ms(loads)} | {machine()} |"
            )

            # Move: `move_clients` users at once, each moving tasks between the columns of its own board.
            for user in users[: args.move_clients]:
                while len(user["tasks"]) < 10:
                    r = await client.post(
                        f"/boards/{user['board']}/tasks", json={"title": "Mover"}, headers=user["auth"]
                    )
                    user["tasks"].append(r.json()["id"])
            move_times: list[float] = []
            deadline = time.perf_counter() + args.seconds

            async def mover(user: dict[str, Any]) -> None:
                for step in itertools.count():
                    if time.perf_counter() > deadline:
                        return
                    task = user["tasks"][step % len(user["tasks"])]
                    target = user["columns"][step % len(user["columns"])]
                    took, r = await _timed(
                        client, "POST", f"/tasks/{task}/move", json={"columnId": target}, headers=user["auth"]
                    )
                    assert r.status_code == 200, r.text
                    move_times.append(took)

            await asyncio.gather(*(mover(user) for user in users[: args.move_clients]))
            print(
                f"| move task ({args.backend}, {args.move_clients} clients, {args.workers} API process(es)) | {summary_ms(move_times)} | {machine()} |"
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
    parser.add_argument("--board-tasks", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=1, help="API processes (kanban api --workers)")
    parser.add_argument("--move-clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=15)
    asyncio.run(main(parser.parse_args()))

"""API budgets: create a task, move a task, load a board of 1,000 tasks; server CPU and RSS per process.

    .venv/bin/python -m bench.api_load --backend postgres --workers 2
    .venv/bin/python -m bench.api_load --backend sqlite
    .venv/bin/python -m bench.api_load --backend sqlite --with-worker   # the Worker's CPU apart

The API runs as its own process(es); the load generator shares the same two cores, so throughput
and latency are a floor for what a dedicated server would do. The server's CPU per operation
comes from the processes' own counters (/proc/<pid>/stat, user + system, every process of
`kanban api --workers N`), which holds on a shared machine where throughput does not. Without
`--with-worker` the events stay in the API's outbox. A personal board has one owner, so each
simulated client is its own user on its own board.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import random
import time
from typing import Any

import httpx

from bench.support import (
    CpuMeter,
    api_alone_env,
    free_port,
    machine,
    process_tree,
    rss_summary,
    scratch_database,
    services_env,
    start_service,
    stop_services,
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


class Meters:
    """CPU per operation of the API processes and (if running) the Worker's, measured apart."""

    def __init__(self, api: list[int], worker: list[int]) -> None:
        self.api, self.worker = CpuMeter(api), CpuMeter(worker)

    def start(self) -> None:
        self.api.start()
        self.worker.start()

    def report(self, operations: int) -> str:
        text = f"API CPU {self.api.per_op_ms(operations):.2f} ms/op"
        if self.worker.pids:
            text += f", Worker CPU {self.worker.per_op_ms(operations):.2f} ms/op"
        return text


async def main(args: argparse.Namespace) -> None:
    work = workdir()
    api_db = await scratch_database("api", args.backend, work)
    databases = [api_db]
    port, procs = free_port(), []
    env = api_alone_env(api_db, KANBAN_REGISTRATIONS_PER_HOUR="100000")  # every bench user registers from loopback
    if args.with_worker:
        worker_db = await scratch_database("worker", args.backend, work)
        databases.append(worker_db)
        worker_port = free_port()
        env = services_env(api_db, worker_db, "http", port, worker_port, KANBAN_REGISTRATIONS_PER_HOUR="100000")
        procs.append(start_service("worker", env, worker_port, work / "worker.log"))
    procs.insert(0, start_service("api", env, port, work / "api.log", ("--workers", str(args.workers))))
    # Idle connections are dropped before uvicorn's 5 s keep-alive timeout closes them: with equal
    # timeouts a phase change could send a request on a connection the server was closing (ReadError).
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64, keepalive_expiry=2.0)
    setup = f"{args.backend}, {args.workers} API process(es)"
    try:
        await asyncio.sleep(3)  # children of --workers N finish starting; background loops settle
        api_pids = process_tree(procs[0].pid)
        groups = {"api": api_pids} | ({"worker": [procs[1].pid]} if args.with_worker else {})
        meters = Meters(api_pids, groups.get("worker", []))
        print(f"| idle RSS ({setup}) | {rss_summary(groups)} | {machine()} |")
        # What the background loops (leases, relay retries, schedulers) cost with no requests: part
        # of every per-operation figure below, the more so the fewer operations per second.
        meters.start()
        await asyncio.sleep(args.idle_seconds)
        print(f"| idle CPU ({setup}) | {meters.api.per_op_ms(1) / args.idle_seconds:.1f} ms per second |")
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}/api/v1", limits=limits, timeout=60) as client:
            # A personal board has one owner: each simulated client is its own user with its own board.
            users = [await _user(client, n) for n in range(max(args.clients, args.move_clients))]

            # One client, one request at a time: the latency of a create with no queue in front of it.
            meters.start()
            single: list[float] = []
            for n in range(args.single_creates):
                took, r = await _timed(
                    client, "POST", f"/boards/{users[-1]['board']}/tasks", json={"title": f"Alone {n}"},
                    headers=users[-1]["auth"],
                )  # fmt: skip
                assert r.status_code == 201, r.text
                single.append(took)
            print(f"| create task ({setup}, 1 client) | {summary_ms(single)} | {meters.report(len(single))} |")

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

            meters.start()
            start = time.perf_counter()
            await asyncio.gather(*(creator(users[i]) for i in range(args.clients)))
            create_rate = args.creates / (time.perf_counter() - start)
            print(
                f"| create task ({setup}, {args.clients} clients) | {create_rate:,.0f} req/s | {summary_ms(create_times)} | {meters.report(args.creates)} | {machine()} |"
            )

            # Board load: one user's board filled to `board_tasks` tasks.
            owner = users[0]
            while len(owner["tasks"]) < args.board_tasks:
                r = await client.post(
                    f"/boards/{owner['board']}/tasks", json={"title": "Filler"}, headers=owner["auth"]
                )
                owner["tasks"].append(r.json()["id"])
            meters.start()
            loads = [
                (await _timed(client, "GET", f"/boards/{owner['board']}", headers=owner["auth"]))[0]
                for _ in range(args.loads)
            ]
            print(
                f"| load board with {len(owner['tasks'])} tasks ({setup}, 1 client) | {summary_ms(loads)} | {meters.report(len(loads))} |"
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

            meters.start()
            started = time.perf_counter()
            await asyncio.gather(*(mover(user) for user in users[: args.move_clients]))
            rate = len(move_times) / (time.perf_counter() - started)
            print(
                f"| move task ({setup}, {args.move_clients} clients) | {rate:,.0f} moves/s | {summary_ms(move_times)} | {meters.report(len(move_times))} |"
            )

            # Contended moves: `move_clients` clients on the one 1,000-task board, to random places.
            shared_times: list[float] = []
            statuses: dict[int, int] = {}
            shared_deadline = time.perf_counter() + args.seconds

            async def shared_mover(n: int) -> None:
                rng = random.Random(n)
                while time.perf_counter() < shared_deadline:
                    body = {
                        "columnId": rng.choice(owner["columns"]),
                        "position": rng.choice([None, 0, rng.randint(0, 400)]),
                    }
                    took, r = await _timed(
                        client, "POST", f"/tasks/{rng.choice(owner['tasks'])}/move", json=body, headers=owner["auth"]
                    )
                    statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
                    shared_times.append(took)

            meters.start()
            started = time.perf_counter()
            await asyncio.gather(*(shared_mover(n) for n in range(args.move_clients)))
            rate = len(shared_times) / (time.perf_counter() - started)
            print(
                f"| move task, one board ({setup}, {args.move_clients} clients) | {rate:,.0f} moves/s | {summary_ms(shared_times)} | statuses {dict(sorted(statuses.items()))} | {meters.report(len(shared_times))} |"
            )
            print(f"| RSS after the load ({setup}) | {rss_summary(groups)} |")
    finally:
        await stop_services(procs, *databases)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="postgres")
    parser.add_argument("--creates", type=int, default=1000)
    parser.add_argument("--single-creates", type=int, default=200, help="creates by one client, one at a time")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--loads", type=int, default=30)
    parser.add_argument("--board-tasks", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=1, help="API processes (kanban api --workers)")
    parser.add_argument("--move-clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--idle-seconds", type=float, default=5, help="idle time over which background CPU is measured")
    parser.add_argument("--with-worker", action="store_true", help="run a Worker too and report its CPU apart")
    asyncio.run(main(parser.parse_args()))

"""A 1,000-task import must not starve anyone else: another user's new task still gets its hints.

    .venv/bin/python -m bench.import_flood --backend sqlite --transport http --tasks 1000

Both services run as processes (`local` provider, the default 0.3 s debounce). User A imports a
CSV of N open tasks; right after the import commits, user B creates tasks one at a time and the
clock runs until each has its hints. Printed: the import's own time, B's latencies while the
Worker digests the import, and how long until every imported task has been analysed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

import httpx

from bench.support import (
    free_port,
    machine,
    scratch_database,
    services_env,
    start_service,
    stop_services,
    summary_ms,
    workdir,
)


async def _hints(client: httpx.AsyncClient, task_id: str, deadline: float) -> bool:
    while time.perf_counter() < deadline:
        reply = await client.get(f"/tasks/{task_id}/hints")
        if reply.status_code == 200 and reply.json():
            return True
        await asyncio.sleep(0.02)
    return False


async def _user(client: httpx.AsyncClient, email: str) -> dict[str, str]:
    reply = await client.post("/auth/register", json={"email": email, "password": "bench password 1"})
    return {"Authorization": f"Bearer {reply.json()['accessToken']}"}


async def main(args: argparse.Namespace) -> None:
    work_dir = workdir()
    api_db = await scratch_database("api", args.backend, work_dir)
    worker_db = await scratch_database("worker", args.backend, work_dir)
    api_port, worker_port = free_port(), free_port()
    env = services_env(api_db, worker_db, args.transport, api_port, worker_port)
    procs = [start_service("worker", env, worker_port, work_dir / "worker.log")]
    procs.append(start_service("api", env, api_port, work_dir / "api.log"))
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{api_port}/api/v1", timeout=120) as client:
            a, b = await _user(client, "importer@example.test"), await _user(client, "other@example.test")
            b_board = (await client.get("/boards/default", headers=b)).json()["id"]
            rows = "\n".join(f"Email supplier {n} about the invoice,Next,finance" for n in range(args.tasks))
            body = f"Title,Column,Tags\n{rows}\n".encode()
            start = time.perf_counter()
            imported = await client.post(
                "/imports",
                content=body,
                headers=a,
                params={"format": "csv", "mapping": json.dumps({"title": "Title", "column": "Column", "tags": "Tags"})},
            )
            import_seconds = time.perf_counter() - start
            assert imported.status_code == 201, imported.text
            a_board = imported.json()["boards"][0]["id"]
            if args.trace:
                import sqlite3

                for _ in range(args.trace):
                    db = sqlite3.connect(worker_db.database)
                    inbox = db.execute("SELECT count(*) FROM inbox WHERE status = 'pending'").fetchone()[0]
                    jobs = db.execute("SELECT status, count(*) FROM agent_jobs GROUP BY status").fetchall()
                    db.close()
                    print(f"{time.perf_counter() - start:6.1f}s inbox pending {inbox}, jobs {jobs}", flush=True)
                    await asyncio.sleep(1)
            latencies = []
            async with httpx.AsyncClient(base_url=client.base_url, headers=b, timeout=60) as as_b:
                for n in range(args.samples):
                    t0 = time.perf_counter()
                    created = await as_b.post(f"/boards/{b_board}/tasks", json={"title": f"Call the dentist {n}"})
                    if await _hints(as_b, created.json()["id"], t0 + 120):
                        latencies.append(time.perf_counter() - t0)
            tasks = await client.get(f"/boards/{a_board}/tasks", headers=a, params={"limit": 1, "offset": 0})
            last = (
                await client.get(
                    f"/boards/{a_board}/tasks", headers=a, params={"limit": 1, "sort": "createdAt", "order": "desc"}
                )
            ).json()["items"][0]["id"]
            async with httpx.AsyncClient(base_url=client.base_url, headers=a, timeout=60) as as_a:
                await _hints(as_a, last, start + 900)
            drained = time.perf_counter() - start
            print(
                f"| import of {args.tasks} tasks (csv, {args.backend}, {args.transport}) | {import_seconds:.2f} s | total {tasks.json()['total']} |"
            )
            print(
                f"| another user's task → hints, during the import's analysis | {summary_ms(latencies)} | {machine()} |"
            )
            print(f"| every imported task analysed | {drained:.1f} s after the import began |")
    finally:
        await stop_services(procs, api_db, worker_db)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--transport", choices=("http", "nats"), default="http")
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--samples", type=int, default=10)
    parser.add_argument("--trace", type=int, default=0, help=argparse.SUPPRESS)
    asyncio.run(main(parser.parse_args()))

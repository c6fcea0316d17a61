"""Task created → hints visible through the API, jobs per second with one and two Workers, Worker CPU per task.

    .venv/bin/python -m bench.hints --backend sqlite --transport http
    .venv/bin/python -m bench.hints --backend postgres --transport nats --workers 2

Both services run as their own processes with the `local` provider. Latency: tasks are created
one at a time and the API is polled until the task's analyzer hints are visible. Throughput: a
batch of tasks is created at once and the clock runs until every task has its hints. Worker CPU:
the Worker processes' own CPU counters (user + system, from /proc) over the batch, divided by the
tasks analysed: every event, job, agent run and acknowledgement a task costs the Worker.
"""

from __future__ import annotations

import argparse
import asyncio
import time

import httpx

from bench.support import (
    cpu_seconds,
    free_port,
    machine,
    scratch_database,
    services_env,
    sign_up_on_default_board,
    start_service,
    stop_services,
    summary_ms,
    workdir,
)


async def _hints_visible(client: httpx.AsyncClient, task_id: str, deadline: float) -> bool:
    while time.perf_counter() < deadline:
        reply = await client.get(f"/tasks/{task_id}/hints")
        if reply.status_code == 200 and any(h["hintType"] == "context" for h in reply.json()):
            return True
        await asyncio.sleep(0.005)
    return False


async def main(args: argparse.Namespace) -> None:
    work = workdir()
    api_db = await scratch_database("api", args.backend, work)
    worker_db = await scratch_database("worker", args.backend, work)
    api_port = free_port()
    worker_ports = [free_port() for _ in range(args.workers)]
    env = services_env(api_db, worker_db, args.transport, api_port, worker_ports[0], KANBAN_JOB_DEBOUNCE_SECONDS="0")
    procs = [start_service("worker", env, port, work / f"worker{i}.log") for i, port in enumerate(worker_ports)]
    procs.append(start_service("api", env, api_port, work / "api.log"))
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{api_port}/api/v1", timeout=60) as client:
            board_id = await sign_up_on_default_board(client, "bench@example.test")
            latencies: list[float] = []
            for n in range(args.samples):
                start = time.perf_counter()
                created = await client.post(
                    f"/boards/{board_id}/tasks",
                    json={"title": f"Call the dentist to book a check-up {n}", "description": "Ask about Tuesday."},
                )
                if await _hints_visible(client, created.json()["id"], start + 30):
                    latencies.append(time.perf_counter() - start)
            print(
                f"| task created → hints visible ({args.backend}, {args.transport}) | {summary_ms(latencies)} | {machine()} |"
            )

            worker_pids = [p.pid for p in procs[: args.workers]]
            await asyncio.sleep(2)  # let the latency phase's stragglers (acknowledgements) settle
            cpu_before = cpu_seconds(worker_pids)
            start = time.perf_counter()
            ids = []
            for n in range(args.jobs):
                created = await client.post(
                    f"/boards/{board_id}/tasks", json={"title": f"Email supplier {n} about invoice"}
                )
                ids.append(created.json()["id"])
            deadline = start + 600
            for task_id in ids:
                await _hints_visible(client, task_id, deadline)
            rate = len(ids) / (time.perf_counter() - start)
            await asyncio.sleep(2)  # the acknowledgements of the last hints are Worker work too
            cpu_ms = 1000 * (cpu_seconds(worker_pids) - cpu_before) / len(ids)
            print(
                f"| jobs ({args.backend}, {args.transport}, {args.workers} worker process(es)) | {rate:,.1f} jobs/s for {len(ids)} tasks | {machine()} |"
            )
            print(
                f"| Worker CPU per analysed task ({args.backend}, {args.transport}) | {cpu_ms:.1f} ms | {machine()} |"
            )
    finally:
        await stop_services(procs, api_db, worker_db)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--transport", choices=("http", "nats"), default="http")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=300)
    asyncio.run(main(parser.parse_args()))

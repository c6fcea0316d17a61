"""CPU and SQL statements per board load of the API code itself, in this process: an A/B figure that
holds on a busy machine.

    .venv/bin/python -m bench.board_cpu --backend sqlite
    .venv/bin/python -m bench.board_cpu --backend postgres --profile 25   # also the top 25 functions

The app is built in this process (in-memory transport, no Worker) and driven through httpx's ASGI
transport, one request at a time. The board is filled through the API to `--tasks` cards: a third
tagged, a tenth with a checklist item, a third moved into Next actions or Waiting for (so the
cards' aging has items). Three figures: a load while nothing changed (the common case: the board's
recent flow is kept), a load right after a move (the flow is replayed), and a revalidation with
the ETag of the last load (`If-None-Match`). CPU is `time.process_time` of this process (request,
driver, client), statements are the request's own, counted on the engine.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from sqlalchemy import event
from tests.support.settings import settings_for

from bench.support import machine, scratch_database, workdir
from kanban.api.app import create_app
from kanban.messaging.transports.memory import MemoryHub


async def _fill(client: httpx.AsyncClient, auth: dict[str, str], board: dict[str, Any], n: int) -> list[str]:
    """`n` cards through the API: some tagged, some with a checklist item, a third committed."""
    by_type = {c["type"]: c["id"] for c in board["columns"]}
    ids = []
    for i in range(n):
        body: dict[str, Any] = {"title": f"Board card {i}"} | ({"tags": [f"tag{i % 7}"]} if i % 3 == 0 else {})
        r = await client.post(f"/boards/{board['id']}/tasks", json=body, headers=auth)
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
        if i % 10 == 0:
            r = await client.post(f"/tasks/{ids[-1]}/checklist", json={"title": "first step"}, headers=auth)
            assert r.status_code == 201, r.text
        if i % 3 == 1:
            target = by_type["CONTEXT"] if i % 2 else by_type["WAITING"]
            r = await client.post(f"/tasks/{ids[-1]}/move", json={"columnId": target}, headers=auth)
            assert r.status_code == 200, r.text
    return ids


async def _measure(
    loads: int, request: Callable[[], Awaitable[httpx.Response]], status: int, between: Callable[[], Awaitable[Any]]
) -> tuple[float, float, float]:
    """p50 CPU ms, p50 wall ms of the request (not of `between`, run before each one)."""
    cpu, wall = [], []
    for _ in range(loads):
        await between()
        c0, w0 = time.process_time(), time.perf_counter()
        r = await request()
        cpu.append((time.process_time() - c0) * 1000)
        wall.append((time.perf_counter() - w0) * 1000)
        assert r.status_code == status, (r.status_code, r.text[:200])
    return statistics.median(cpu), statistics.median(wall), max(cpu)


async def main(args: argparse.Namespace) -> None:
    db = await scratch_database("api", args.backend, workdir())
    app = create_app(settings_for("api", db, None), hub=MemoryHub())
    async with app.router.lifespan_context(app):  # type: ignore[attr-defined]
        engine = app.state.services.engine.sync_engine
        statements: list[str] = []
        driver = asyncio.current_task()  # the in-process client serves each request in this task

        def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            if asyncio.current_task() is driver:  # not the background loops sharing the engine
                statements.append(statement)

        event.listen(engine, "before_cursor_execute", count)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench/api/v1", timeout=60) as client:
            reply = await client.post(
                "/auth/register", json={"email": "load@example.test", "password": "bench pw 1234"}
            )
            auth = {"Authorization": f"Bearer {reply.json()['accessToken']}"}
            board = (await client.get("/boards/default", headers=auth)).json()
            ids = await _fill(client, auth, board, args.tasks)
            url = f"/boards/{board['id']}"
            inbox = next(c["id"] for c in board["columns"] if c["type"] == "INPUT")
            context = next(c["id"] for c in board["columns"] if c["type"] == "CONTEXT")
            for _ in range(5):  # warm-up: statement caches, the kept flow
                await client.get(url, headers=auth)

            async def nothing() -> None:
                statements.clear()

            moves = iter(range(10**9))

            async def move() -> None:
                n = next(moves)
                target = context if n % 2 else inbox
                r = await client.post(f"/tasks/{ids[n % len(ids)]}/move", json={"columnId": target}, headers=auth)
                assert r.status_code == 200, r.text
                statements.clear()

            kept = await _measure(args.loads, lambda: client.get(url, headers=auth), 200, nothing)
            kept_statements = len(statements)
            changed = await _measure(args.loads, lambda: client.get(url, headers=auth), 200, move)
            changed_statements = len(statements)
            body = await client.get(url, headers=auth)
            tag = body.headers.get("etag")
            if tag is not None:
                again = {**auth, "If-None-Match": tag}
                revalidated = await _measure(args.loads, lambda: client.get(url, headers=again), 304, nothing)
                revalidated_statements = len(statements)
            if args.profile:
                profiler = cProfile.Profile()
                profiler.enable()
                for _ in range(args.loads):
                    await client.get(url, headers=auth)
                profiler.disable()
                out = io.StringIO()
                pstats.Stats(profiler, stream=out).sort_stats(args.sort).print_stats(args.profile)
                print(out.getvalue())
    size = len(body.content) / 1024
    setup = f"{args.backend}, {args.tasks} tasks, {size:.0f} KiB"
    print(f"| board load, kept flow ({setup}) | CPU p50 {kept[0]:.1f} ms (max {kept[2]:.1f}), wall p50 {kept[1]:.1f} ms | {kept_statements} statements | {machine()} |")  # fmt: skip
    print(f"| board load after a move ({setup}) | CPU p50 {changed[0]:.1f} ms (max {changed[2]:.1f}), wall p50 {changed[1]:.1f} ms | {changed_statements} statements |")  # fmt: skip
    if tag is not None:
        print(f"| board revalidation, 304 ({setup}) | CPU p50 {revalidated[0]:.1f} ms, wall p50 {revalidated[1]:.1f} ms | {revalidated_statements} statements |")  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--loads", type=int, default=30)
    parser.add_argument("--profile", type=int, default=0, help="print the top N functions (see --sort)")
    parser.add_argument("--sort", default="tottime", help="the profile's order: tottime, cumulative, ...")
    asyncio.run(main(parser.parse_args()))

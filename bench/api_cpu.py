"""CPU per create and per move of the API code itself, in this process: an A/B figure that holds on a busy machine.

    .venv/bin/python -m bench.api_cpu --backend sqlite
    PYTHONPATH=/path/to/other/checkout/src:/path/to/other/checkout .venv/bin/python -m bench.api_cpu

The app is built in this process (in-memory transport to a Worker that accepts every batch and does
nothing with it, as a Worker that keeps up) and driven through httpx's ASGI transport, one request
at a time; the figure is this process's CPU time (`time.process_time`, all threads) per operation:
the request, its unit of work, the driver, the relay's publish, and the API's own consumers of the
event (the rule engine's inbox) — plus the in-process client's share, the same for any two
checkouts compared. Run two checkouts in alternation to compare them under the same load.
`--with-rule` gives the board an enabled rule that never matches, so the engine's round runs for
every event (its cost with rules); without it the board has none.

It also counts what reached the database per operation: statements (SQLAlchemy's cursor
executes), and on SQLite the hops to aiosqlite's thread (BEGIN, COMMIT and ROLLBACK included), on
PostgreSQL the round trips (asyncpg's statement fetches, BEGINs, COMMITs and ROLLBACKs; a
statement's first PREPARE, cached afterwards, is not counted) and the pool's pings (each a BEGIN, a
query and a ROLLBACK of asyncpg's).
"""

from __future__ import annotations

import argparse
import asyncio
import time

import aiosqlite.core
import asyncpg.prepared_stmt
import asyncpg.transaction
import httpx
from sqlalchemy import event
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_connection
from tests.support.settings import settings_for

from bench.support import drop_database, machine, scratch_database, workdir
from kanban.api.app import create_app
from kanban.contracts.envelope import Envelope
from kanban.messaging.transports.memory import MemoryHub


class Counts:
    """Statements, SQLite hops and PostgreSQL pings, counted from here on."""

    def __init__(self) -> None:
        self.statements = self.hops = self.pings = self.round_trips = 0
        hop, ping = aiosqlite.core.Connection._execute, AsyncAdapt_asyncpg_connection.ping

        async def counted_hop(conn: aiosqlite.Connection, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
            self.hops += 1
            return await hop(conn, fn, *args, **kwargs)

        def counted_ping(conn: AsyncAdapt_asyncpg_connection) -> None:
            self.pings += 1
            ping(conn)

        aiosqlite.core.Connection._execute = counted_hop  # type: ignore[method-assign]
        AsyncAdapt_asyncpg_connection.ping = counted_ping  # type: ignore[method-assign]
        for cls, name in (
            (asyncpg.prepared_stmt.PreparedStatement, "fetch"),
            (asyncpg.transaction.Transaction, "start"),
            (asyncpg.transaction.Transaction, "commit"),
            (asyncpg.transaction.Transaction, "rollback"),
        ):
            setattr(cls, name, self._counted_round_trip(getattr(cls, name)))

    def _counted_round_trip(self, method):  # type: ignore[no-untyped-def]
        async def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
            self.round_trips += 1
            return await method(*args, **kwargs)

        return counted

    def watch(self, engine) -> None:  # type: ignore[no-untyped-def]
        @event.listens_for(engine.sync_engine, "before_cursor_execute")
        def _statement(*_: object) -> None:
            self.statements += 1

    def snapshot(self) -> tuple[int, int, int, int]:
        return self.statements, self.hops, self.pings, self.round_trips

    def per_op(self, since: tuple[int, int, int, int], ops: int, backend: str) -> str:
        statements, hops, pings, trips = (now - then for now, then in zip(self.snapshot(), since, strict=True))
        if backend == "sqlite":
            return f"{statements / ops:.1f} statements, {hops / ops:.1f} hops"
        return f"{statements / ops:.1f} statements, {trips / ops:.1f} round trips, {pings / ops:.1f} pings"


async def main(args: argparse.Namespace) -> None:
    counts = Counts()
    db = await scratch_database("api", args.backend, workdir())
    hub = MemoryHub()

    async def worker_accepts(envelopes: list[Envelope]) -> None:
        return None

    hub.subscribers["worker"] = worker_accepts
    app = create_app(settings_for("api", db, None), hub=hub)
    try:
        create_ms, move_ms, create_db, move_db = await _run(app, counts, args)
    finally:
        await drop_database(db)
    rule = ", a rule" if args.with_rule else ""
    print(
        f"| API CPU in-process ({args.backend}{rule}) | create {create_ms:.1f} ms | move {move_ms:.1f} ms | {machine()} |"
    )
    print(f"| database work per operation ({args.backend}{rule}) | create: {create_db} | move: {move_db} |")


async def _run(app, counts: Counts, args: argparse.Namespace) -> tuple[float, float, str, str]:  # type: ignore[no-untyped-def]
    """Creates, then moves of the created tasks: CPU per operation and database work of each."""
    async with app.router.lifespan_context(app):  # type: ignore[attr-defined]
        counts.watch(app.state.services.engine)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench/api/v1") as client:
            reply = await client.post(
                "/auth/register", json={"email": "cpu@example.test", "password": "bench pw 12345"}
            )
            auth = {"Authorization": f"Bearer {reply.json()['accessToken']}"}
            board = (await client.get("/boards/default", headers=auth)).json()
            columns = [c["id"] for c in board["columns"] if c["type"] not in ("DONE", "ARCHIVE")]
            if args.with_rule:
                await _never_matching_rule(client, board["id"], auth)
            for n in range(20):  # warm-up: statement caches, first connections
                await client.post(f"/boards/{board['id']}/tasks", json={"title": f"warm {n}"}, headers=auth)
            await asyncio.sleep(0.5)  # the warm-up's relay rounds and consumers are done
            since, started = counts.snapshot(), time.process_time()
            ids = []
            for n in range(args.ops):
                r = await client.post(f"/boards/{board['id']}/tasks", json={"title": f"t{n}"}, headers=auth)
                assert r.status_code == 201, r.text
                ids.append(r.json()["id"])
            create_ms = (time.process_time() - started) * 1000 / args.ops
            await asyncio.sleep(0.5)
            create_db = counts.per_op(since, args.ops, args.backend)
            since, started = counts.snapshot(), time.process_time()
            for n, task_id in enumerate(ids):
                r = await client.post(
                    f"/tasks/{task_id}/move", json={"columnId": columns[n % len(columns)]}, headers=auth
                )
                assert r.status_code == 200, r.text
            move_ms = (time.process_time() - started) * 1000 / args.ops
            await asyncio.sleep(0.5)
            move_db = counts.per_op(since, args.ops, args.backend)
    return create_ms, move_ms, create_db, move_db


async def _never_matching_rule(client: httpx.AsyncClient, board_id: str, auth: dict[str, str]) -> None:
    rule = {
        "name": "never matches",
        "trigger": {"type": "task.moved", "config": {"toColumnType": "DONE"}},
        "conditions": [{"field": "title", "operator": "contains", "value": "no title has this"}],
        "actions": [{"type": "add_tag", "config": {"name": "never"}}],
    }
    reply = await client.post(f"/boards/{board_id}/rules", json=rule, headers=auth)
    assert reply.status_code == 201, reply.text


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--ops", type=int, default=300)
    parser.add_argument("--with-rule", action="store_true", help="an enabled rule on the board (never matching)")
    asyncio.run(main(parser.parse_args()))

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
"""

from __future__ import annotations

import argparse
import asyncio
import time

import httpx
from tests.support.settings import settings_for

from bench.support import machine, scratch_database, workdir
from kanban.api.app import create_app
from kanban.contracts.envelope import Envelope
from kanban.messaging.transports.memory import MemoryHub


async def main(args: argparse.Namespace) -> None:
    db = await scratch_database("api", args.backend, workdir())
    hub = MemoryHub()

    async def worker_accepts(envelopes: list[Envelope]) -> None:
        return None

    hub.subscribers["worker"] = worker_accepts
    app = create_app(settings_for("api", db, None), hub=hub)
    async with app.router.lifespan_context(app):  # type: ignore[attr-defined]
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
            started = time.process_time()
            ids = []
            for n in range(args.ops):
                r = await client.post(f"/boards/{board['id']}/tasks", json={"title": f"t{n}"}, headers=auth)
                assert r.status_code == 201, r.text
                ids.append(r.json()["id"])
            create_ms = (time.process_time() - started) * 1000 / args.ops
            started = time.process_time()
            for n, task_id in enumerate(ids):
                r = await client.post(
                    f"/tasks/{task_id}/move", json={"columnId": columns[n % len(columns)]}, headers=auth
                )
                assert r.status_code == 200, r.text
            move_ms = (time.process_time() - started) * 1000 / args.ops
    rule = ", a rule" if args.with_rule else ""
    print(
        f"| API CPU in-process ({args.backend}{rule}) | create {create_ms:.1f} ms | move {move_ms:.1f} ms | {machine()} |"
    )


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

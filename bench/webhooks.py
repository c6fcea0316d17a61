"""How fast the webhook loop empties a backlog of deliveries to a receiver on loopback.

    .venv/bin/python -m bench.webhooks --backend postgres
    .venv/bin/python -m bench.webhooks --backend sqlite

N deliveries are queued (as rule runs queue them), then rounds of the delivery loop run back to
back until every one is delivered. Each attempt is a claim (one transaction), a signed POST, and a
settle (one transaction). The receiver shares the process, so only wall-clock figures are given.
"""

from __future__ import annotations

import argparse
import asyncio
import time

from tests.support.receivers import running_receiver

from bench.support import JWT, SECRET, drop_database, machine, scratch_database, workdir
from kanban.api import tables
from kanban.api.bootstrap import build_api_services
from kanban.api.webhooks.delivery import DeliveryPolicy, deliver_due, new_delivery
from kanban.db.types import new_id, utcnow
from kanban.messaging.transports.memory import MemoryHub
from kanban.settings import load_settings


async def main(backend: str, count: int, concurrency: int) -> None:
    api_db = await scratch_database("api", backend, workdir())
    env = {
        "API_DATABASE_URL": api_db.url.render_as_string(hide_password=False), "KANBAN_TRANSPORT": "memory",
        "KANBAN_EVENTS_SECRET": SECRET, "KANBAN_JWT_SECRET": JWT, "KANBAN_WEBHOOK_ALLOW_PRIVATE": "1",
    }  # fmt: skip
    services = build_api_services(load_settings("api", env), hub=MemoryHub())  # not started: no background loops
    try:
        async with running_receiver() as receiver:
            user_id, hook_id, now = new_id(), new_id(), utcnow()
            async with services.engine.begin() as conn:
                await conn.execute(
                    tables.users.insert().values(id=user_id, email="b@x.test", created_at=now, updated_at=now)
                )
                await conn.execute(
                    tables.webhooks.insert().values(id=hook_id, user_id=user_id, name="bench", url=receiver.url,
                                                    secret="whsec_bench", created_at=now)
                )  # fmt: skip
                for n in range(count):
                    payload = {"task": {"title": f"task {n}"}}
                    await new_delivery(conn, webhook_id=hook_id, user_id=user_id, rule_id=None, run_id=None,
                                       payload=payload, now=now)  # fmt: skip
            policy = DeliveryPolicy(concurrency=concurrency)
            started = time.perf_counter()
            delivered = rounds = 0
            while delivered < count:
                delivered += await deliver_due(
                    services.engine, services.new_unit_of_work, services.webhook_sender, policy
                )
                rounds += 1
            elapsed = time.perf_counter() - started
        assert len(receiver.received) == count, len(receiver.received)
        print(f"machine: {machine()}, backend {backend}, {count} deliveries, {concurrency} at a time")
        print("| backend | deliveries | at a time | rounds | wall time | deliveries/s | per delivery |")
        print("|---|---|---|---|---|---|---|")
        print(f"| {backend} | {count} | {concurrency} | {rounds} | {elapsed:.2f} s | {count / elapsed:.0f} | "
              f"{elapsed / count * 1000:.1f} ms |")  # fmt: skip
    finally:
        await services.engine.dispose()
        await drop_database(api_db)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    asyncio.run(main(args.backend, args.count, args.concurrency))

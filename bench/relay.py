"""Relay throughput and commit-to-inbox latency, with the Worker running as its own process.

    .venv/bin/python -m bench.relay --transport http --backend sqlite
    .venv/bin/python -m bench.relay --transport nats --backend postgres

Throughput: N events are committed to the API outbox first, then one relay drains them: "relay"
is the rate at which the outbox is published and acknowledged by the transport (for http the
peer acknowledges after its inbox commit; for NATS the broker acknowledges), "into the peer's
inbox" the rate until the Worker's inbox holds them all. Latency: events are committed at a fixed rate (default 500/s) while the relay
runs; latency is the Worker inbox's received_at minus the event's commit time.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid

from sqlalchemy import func, select

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
from kanban.api import tables as api_tables
from kanban.contracts.events import TagCreatedV1, TagState
from kanban.db.engine import make_engine
from kanban.messaging.relay import RelayConfig
from kanban.messaging.runtime import MessagingRuntime, make_transport
from kanban.settings import load_settings
from kanban.worker import tables as worker_tables


def _tag_event(n: int) -> TagCreatedV1:
    return TagCreatedV1(tag=TagState(tag_id=str(uuid.uuid4()), board_id="bench", name=f"tag-{n}", version=1))


async def _commit_events(runtime: MessagingRuntime, count: int, per_tx: int = 1) -> None:
    done = 0
    while done < count:
        async with runtime.new_unit_of_work() as uow:
            for _ in range(min(per_tx, count - done)):
                event = _tag_event(done)
                uow.record(event, aggregate_id=event.tag.tag_id, aggregate_version=1)
                done += 1
            await uow.commit()


async def _inbox_count(engine) -> int:  # type: ignore[no-untyped-def]
    async with engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(worker_tables.messaging.inbox)) or 0)


async def _inbox_pending(engine) -> int:  # type: ignore[no-untyped-def]
    inbox = worker_tables.messaging.inbox
    async with engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(inbox).where(inbox.c.status == "pending")) or 0)


async def main(args: argparse.Namespace) -> None:
    work = workdir()
    api_db = await scratch_database("api", args.backend, work)
    worker_db = await scratch_database("worker", args.backend, work)
    api_port, worker_port = free_port(), free_port()
    env = {
        "API_DATABASE_URL": api_db.url.render_as_string(hide_password=False),
        "WORKER_DATABASE_URL": worker_db.url.render_as_string(hide_password=False),
        "KANBAN_TRANSPORT": args.transport,
        "KANBAN_EVENTS_SECRET": SECRET,
        "KANBAN_JWT_SECRET": JWT,
        "KANBAN_WORKER_EVENTS_URL": f"http://127.0.0.1:{worker_port}/internal/events",
        "KANBAN_API_EVENTS_URL": f"http://127.0.0.1:{api_port}/internal/events",
        "KANBAN_NATS_URL": "nats://127.0.0.1:4222",
        "KANBAN_LOG_LEVEL": "WARNING",
    }
    worker = start_service("worker", env, worker_port, work / "worker.log")
    settings = load_settings("api", env)
    engine = make_engine(settings.database, "kanban-bench")
    worker_engine = make_engine(worker_db, "kanban-bench")
    runtime = MessagingRuntime(
        service="api",
        database=settings.database,
        engine=engine,
        tables=api_tables.messaging,
        transport=make_transport(settings),
        handlers={},
        relay_config=RelayConfig(batch_size=args.batch, poll_seconds=0.05),
    )
    try:
        # Throughput: fill the outbox, then drain it.
        await _commit_events(runtime, args.events, per_tx=100)
        await runtime.start()
        start = time.perf_counter()
        while await runtime.relay.pending_count() > 0:
            await asyncio.sleep(0.02)
        relay_rate = args.events / (time.perf_counter() - start)
        while await _inbox_count(worker_engine) < args.events:
            await asyncio.sleep(0.02)
        rate = args.events / (time.perf_counter() - start)
        # Latency at a fixed rate, once the Worker has applied the backlog (so both phases stay apart).
        for _ in range(3000):
            if await _inbox_pending(worker_engine) == 0:
                break
            await asyncio.sleep(0.1)
        before = await _inbox_count(worker_engine)
        from kanban.db.types import utcnow

        phase_start = utcnow()
        interval = 1 / args.rate
        next_at = time.perf_counter()
        for _ in range(args.latency_events):
            await _commit_events(runtime, 1)
            next_at += interval
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
        while await _inbox_count(worker_engine) < before + args.latency_events:
            await asyncio.sleep(0.02)
        async with worker_engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(worker_tables.messaging.inbox.c.envelope, worker_tables.messaging.inbox.c.received_at).where(
                        worker_tables.messaging.inbox.c.received_at >= phase_start
                    )
                )
            ).all()
        from kanban.contracts.envelope import Envelope

        latencies = [
            (received - Envelope.model_validate_json(env_json).occurred_at).total_seconds()
            for env_json, received in rows
        ]
        print(
            f"| relay {args.transport} on {args.backend} | {args.events} events | relay {relay_rate:,.0f} events/s, "
            f"into the peer's inbox {rate:,.0f} events/s | "
            f"commit→inbox at {args.rate}/s: {summary_ms(latencies)} | {machine()} |"
        )
    finally:
        await runtime.stop()
        await engine.dispose()
        await worker_engine.dispose()
        worker.terminate()
        worker.wait(30)
        await drop_database(api_db)
        await drop_database(worker_db)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--transport", choices=("http", "nats"), default="http")
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--rate", type=int, default=500)
    parser.add_argument("--latency-events", type=int, default=2500)
    asyncio.run(main(parser.parse_args()))

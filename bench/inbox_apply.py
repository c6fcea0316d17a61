"""How fast the Worker's inbox applies events on SQLite, in process, with its real handlers.

    .venv/bin/python -m bench.inbox_apply                      # 5,000 events on SQLite
    .venv/bin/python -m bench.inbox_apply --backend postgres

The inbox is filled first (N events: tags created and then updated, five versions each, so the
order check and the cursor are exercised), then processing rounds run until nothing is pending.
Reported: events applied per second of wall clock and per second of this process's CPU (the
machine is shared; the CPU figure is the steadier one). Budget: ≥ 1,000 events/s on SQLite.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid

from sqlalchemy import func, select

from bench.support import JWT, SECRET, drop_database, machine, scratch_database, workdir
from kanban.contracts.envelope import Envelope
from kanban.contracts.events import TagCreatedV1, TagState, TagUpdatedV1
from kanban.contracts.registry import envelope_for
from kanban.settings import load_settings
from kanban.worker import tables as worker_tables
from kanban.worker.bootstrap import build_worker_services

VERSIONS = 5


def _envelopes(count: int) -> list[Envelope]:
    out = []
    for n in range(count // VERSIONS):
        tag_id = str(uuid.uuid4())
        for version in range(1, VERSIONS + 1):
            state = TagState(tag_id=tag_id, board_id="bench", name=f"tag-{n}-{version}", version=version)
            event = TagCreatedV1(tag=state) if version == 1 else TagUpdatedV1(tag=state)
            out.append(
                envelope_for(
                    event, source="api", aggregate_id=tag_id, aggregate_version=version, correlation_id=uuid.uuid4()
                )
            )
    return out


async def main(args: argparse.Namespace) -> None:
    work = workdir()
    db = await scratch_database("worker", args.backend, work)
    env = {
        "WORKER_DATABASE_URL": db.url.render_as_string(hide_password=False),
        "KANBAN_TRANSPORT": "memory",
        "KANBAN_EVENTS_SECRET": SECRET,
        "KANBAN_JWT_SECRET": JWT,
        "KANBAN_LOG_LEVEL": "WARNING",
    }
    services = build_worker_services(load_settings("worker", env))
    inbox = services.messaging.inbox
    try:
        envelopes = _envelopes(args.events)
        for start in range(0, len(envelopes), 500):
            await inbox.receive(envelopes[start : start + 500])
        cpu, wall = time.process_time(), time.perf_counter()
        applied = 0
        while (n := await inbox.process_available()) > 0:
            applied += n
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        table = worker_tables.messaging.inbox
        async with services.engine.connect() as conn:
            left = await conn.scalar(select(func.count()).select_from(table).where(table.c.status == "pending"))
        verdict = "✓" if args.backend != "sqlite" or applied / wall >= 1000 else "✗"
        print(
            f"| inbox apply on {args.backend} | {applied:,} events ({left} left pending) | "
            f"{applied / wall:,.0f} events/s wall, {applied / cpu:,.0f} events per CPU second | {verdict} | {machine()} |"
        )
    finally:
        await services.engine.dispose()
        await drop_database(db)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--events", type=int, default=5000)
    asyncio.run(main(parser.parse_args()))

"""Wires the Worker service once: engine, messaging runtime, job runner. Nothing happens at import time."""

from __future__ import annotations

from dataclasses import dataclass, field

from kanban.db.async_core import AsyncEngine
from kanban.db.engine import make_engine
from kanban.messaging.inbox import InboxConfig
from kanban.messaging.relay import RelayConfig
from kanban.messaging.runtime import MessagingRuntime, make_transport
from kanban.messaging.transports.base import Transport
from kanban.messaging.transports.memory import MemoryHub
from kanban.messaging.unit_of_work import UnitOfWork
from kanban.messaging.wakeup import Wakeup
from kanban.settings import Settings
from kanban.worker import tables
from kanban.worker.consumers import worker_event_handlers


@dataclass
class WorkerServices:
    settings: Settings
    engine: AsyncEngine
    messaging: MessagingRuntime
    # Signalled after a transaction queued a job, so an idle runner starts it without waiting to poll.
    jobs_queued: Wakeup = field(default_factory=Wakeup)

    def new_unit_of_work(self) -> UnitOfWork:
        return self.messaging.new_unit_of_work()


def build_worker_services(
    settings: Settings, transport: Transport | None = None, hub: MemoryHub | None = None
) -> WorkerServices:
    # Connections kept open between uses (disposed in the service's stop): on SQLite, opening one
    # per transaction cost more CPU than the agents themselves.
    engine = make_engine(
        settings.database,
        settings.role_name,
        pool_size=settings.worker_concurrency + 4,
        keep_sqlite_connections=True,
        statements_on_loop=True,
    )
    jobs_queued = Wakeup()
    messaging = MessagingRuntime(
        service="worker",
        database=settings.database,
        engine=engine,
        tables=tables.messaging,
        transport=transport or make_transport(settings, hub),
        handlers=worker_event_handlers(settings, jobs_queued),
        inbox_config=InboxConfig(
            max_attempts=settings.inbox_max_attempts,
            gap_timeout_seconds=settings.inbox_gap_timeout_seconds,
            # A burst of new tasks costs one commit per batch of events; on SQLite the Worker's own
            # writers (events arriving, job batches) queue behind it for a few tens of milliseconds.
            events_per_transaction=50,
        ),
        relay_config=RelayConfig(retention_hours=settings.outbox_retention_hours),
    )
    return WorkerServices(settings=settings, engine=engine, messaging=messaging, jobs_queued=jobs_queued)

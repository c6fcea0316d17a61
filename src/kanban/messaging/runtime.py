"""Everything one service needs to send and receive events, wired once and started in its lifespan."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from dataclasses import dataclass

from kanban.db.async_core import AsyncEngine
from kanban.db.urls import DatabaseUrl
from kanban.messaging.cancelling import cancel_and_wait
from kanban.messaging.inbox import Admission, Handler, Inbox, InboxConfig, LocalDelivery
from kanban.messaging.lease import Lease
from kanban.messaging.metrics import run_metrics_refresh
from kanban.messaging.outbox import inbox_channel, notify_channel
from kanban.messaging.relay import Relay, RelayConfig
from kanban.messaging.tables import MessagingTables
from kanban.messaging.transports.base import Transport
from kanban.messaging.transports.memory import MemoryHub, MemoryTransport
from kanban.messaging.unit_of_work import UnitOfWork
from kanban.messaging.wakeup import PostgresListener, Wakeup
from kanban.settings import Settings

log = logging.getLogger(__name__)

# The relay and inbox loops renew their 15 s leases at most this often, not before every round:
# a burst of events then costs no lease write per round (see Lease).
LEASE_RENEW_AFTER = 5.0


def make_transport(settings: Settings, hub: MemoryHub | None = None) -> Transport:
    if settings.transport == "memory":
        return MemoryTransport(hub or MemoryHub())
    if settings.transport == "nats":
        from kanban.messaging.transports.nats import NatsTransport

        return NatsTransport(settings.nats_url, source=settings.service)
    from kanban.messaging.transports.http import HttpTransport

    return HttpTransport(settings.peer_events_url or "", settings.events_secret)


def process_owner_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{id(asyncio.get_event_loop_policy()):x}"


@dataclass(frozen=True)
class LocalConsumer:
    """A consumer of the service's own events (`event_types`), fed in the recording transaction."""

    name: str
    handlers: dict[str, Handler]
    config: InboxConfig = InboxConfig(own_events=True)
    # Evaluated in the recording statement: an event enters the inbox only when it holds.
    admits: Admission | None = None

    @property
    def event_types(self) -> frozenset[str]:
        return frozenset(self.handlers)


class MessagingRuntime:
    """The service's outbox relay and inbox processor, over one transport."""

    def __init__(
        self,
        *,
        service: str,
        database: DatabaseUrl,
        engine: AsyncEngine,
        tables: MessagingTables,
        transport: Transport,
        handlers: dict[str, Handler],
        inbox_config: InboxConfig = InboxConfig(),
        relay_config: RelayConfig = RelayConfig(),
        owner: str | None = None,
        local_consumer: LocalConsumer | None = None,
    ) -> None:
        self.service = service
        self.engine = engine
        self.tables = tables
        self.transport = transport
        self.relay_wakeup = Wakeup()
        self._owner = owner or process_owner_id()
        self._database = database
        self.relay = Relay(
            engine,
            tables,
            transport,
            Lease(
                engine, tables, f"relay:{service}", self._owner, ttl_seconds=15, renew_after_seconds=LEASE_RENEW_AFTER
            ),
            self.relay_wakeup,
            relay_config,
        )
        self.inbox = Inbox(service, engine, tables, handlers, self.new_unit_of_work, inbox_config)
        self._inbox_lease = Lease(
            engine, tables, f"inbox:{service}", self._owner, ttl_seconds=15, renew_after_seconds=LEASE_RENEW_AFTER
        )
        self.local_inbox: Inbox | None = None
        self._local_delivery: LocalDelivery | None = None
        if local_consumer is not None:
            self.local_inbox = Inbox(
                local_consumer.name, engine, tables, local_consumer.handlers, self.new_unit_of_work,
                local_consumer.config,
            )  # fmt: skip
            self._local_delivery = LocalDelivery(
                local_consumer.name,
                tables,
                local_consumer.event_types,
                self.local_inbox.wakeup,
                local_consumer.admits,
            )
            self._local_lease = Lease(
                engine, tables, f"inbox:{local_consumer.name}", self._owner, ttl_seconds=15,
                renew_after_seconds=LEASE_RENEW_AFTER,
            )  # fmt: skip
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._listeners: list[PostgresListener] = []

    @property
    def peer_name(self) -> str:
        """What this service's transport reaches: the other service over http, else the broker."""
        if self.transport.name == "http":
            return "worker" if self.service == "api" else "api"
        return self.transport.name

    def new_unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(
            self.engine, self.tables, self.service, on_commit=self.relay_wakeup.signal,
            local_delivery=self._local_delivery,
        )  # fmt: skip

    async def start(self) -> None:
        await self.transport.start()
        await self.transport.subscribe(self.service, self.inbox.receive)
        if self._database.is_postgres:
            self._listeners = [
                PostgresListener(self._database, notify_channel(self.service), self.relay_wakeup),
                PostgresListener(self._database, inbox_channel(self.service), self.inbox.wakeup),
            ]
            if self.local_inbox is not None:
                self._listeners.append(
                    PostgresListener(self._database, inbox_channel(self.local_inbox.consumer), self.local_inbox.wakeup)
                )
            for listener in self._listeners:
                await listener.start()
        self._stop.clear()
        self._tasks = [
            asyncio.create_task(self.relay.run(self._stop), name=f"relay:{self.service}"),
            asyncio.create_task(self.inbox.run(self._stop, self._inbox_lease), name=f"inbox:{self.service}"),
            asyncio.create_task(
                run_metrics_refresh(
                    self.engine, self.tables, self.service, self._stop, peer=(self.transport, self.peer_name)
                ),
                name=f"metrics:{self.service}",
            ),
        ]
        if self.local_inbox is not None:
            self._tasks.append(
                asyncio.create_task(
                    self.local_inbox.run(self._stop, self._local_lease), name=f"inbox:{self.local_inbox.consumer}"
                )
            )

    async def stop(self) -> None:
        self._stop.set()
        self.relay_wakeup.signal()
        self.inbox.wakeup.signal()
        if self.local_inbox is not None:
            self.local_inbox.wakeup.signal()
        tasks, self._tasks = self._tasks, []
        if tasks:
            # Each loop ends at its next turn once stopped; one that does not within the bound is cut off.
            ended, late = await asyncio.wait(tasks, timeout=10)
            for task in ended:
                if not task.cancelled() and task.exception() is not None:
                    log.error("messaging: %s had ended with %r", task.get_name(), task.exception())
            if late:
                log.warning(
                    "messaging: %s still running 10 s after stop; cancelled", sorted(t.get_name() for t in late)
                )
            await cancel_and_wait(*tasks)
        for listener in self._listeners:
            await listener.close()
        self._listeners = []
        await self.transport.close()

"""Wires the API service once: engine, messaging runtime, realtime hub. Nothing happens at import time."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field, replace
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING

from kanban.api import tables
from kanban.api.consumers import api_event_handlers
from kanban.api.digest.handlers import DigestLinks
from kanban.api.digest.scheduler import DigestScheduler
from kanban.api.realtime.hub import RealtimeHub
from kanban.api.rules.consumers import RULES_CONSUMER, RULES_MAY_ACT, rule_event_handlers
from kanban.api.rules.scheduler import RuleScheduler
from kanban.api.security.authentication import SessionRules
from kanban.api.templates.scheduler import TemplateScheduler
from kanban.api.webhooks.delivery import DeliveryPolicy
from kanban.api.webhooks.scheduler import WebhookDeliverer
from kanban.api.webhooks.sender import WebhookSender
from kanban.db.async_core import AsyncEngine
from kanban.db.engine import make_engine
from kanban.messaging.broadcast import LocalOnly, NatsBroadcast
from kanban.messaging.inbox import InboxConfig
from kanban.messaging.lease import Lease
from kanban.messaging.relay import RelayConfig
from kanban.messaging.runtime import LocalConsumer, MessagingRuntime, make_transport, process_owner_id
from kanban.messaging.transports.base import Transport
from kanban.messaging.transports.memory import MemoryHub
from kanban.messaging.unit_of_work import UnitOfWork
from kanban.settings import Settings
from kanban.web.addresses import AddressPolicy

if TYPE_CHECKING:
    from kanban.api.capture.mailbox import MailboxWatcher

log = logging.getLogger(__name__)


@dataclass
class ApiServices:
    settings: Settings
    engine: AsyncEngine
    messaging: MessagingRuntime
    realtime: RealtimeHub = field(default_factory=RealtimeHub)
    scheduler: TemplateScheduler | None = None
    rule_scheduler: RuleScheduler | None = None
    mailbox: MailboxWatcher | None = None
    digest: DigestScheduler | None = None
    webhook_sender: WebhookSender = field(default_factory=lambda: WebhookSender(AddressPolicy()))
    webhooks: WebhookDeliverer | None = None
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _background: list[asyncio.Task[None]] = field(default_factory=list)

    @cached_property
    def session_rules(self) -> SessionRules:
        """What the settings say about sign-ins, read on every authenticated request: built once."""
        return SessionRules(
            secret=self.settings.jwt_secret,
            session_lifetime=timedelta(days=self.settings.session_days),
            idle_timeout=timedelta(hours=self.settings.session_idle_hours),
        )

    def new_unit_of_work(self) -> UnitOfWork:
        uow = self.messaging.new_unit_of_work()
        # Every committed task change reaches the board's open streams, whichever route made it.
        uow.after_commit(lambda: self.realtime.publish_task_changes(uow.committed))
        return uow

    async def start(self) -> None:
        await self.messaging.start()
        await self.realtime.start()
        self._stop.clear()
        if self.scheduler is not None:
            self._background.append(asyncio.create_task(self.scheduler.run(self._stop), name="template-scheduler"))
        if self.rule_scheduler is not None:
            self._background.append(asyncio.create_task(self.rule_scheduler.run(self._stop), name="rule-scheduler"))
        if self.mailbox is not None:
            self._background.append(asyncio.create_task(self.mailbox.run(self._stop), name="mailbox-watcher"))
        if self.digest is not None:
            self._background.append(asyncio.create_task(self.digest.run(self._stop), name="digest-scheduler"))
        if self.webhooks is not None:
            self._background.append(asyncio.create_task(self.webhooks.run(self._stop), name="webhook-deliveries"))

    async def stop(self) -> None:
        self._stop.set()
        for task in self._background:
            await task
        self._background.clear()
        await self.realtime.close()
        await self.messaging.stop()
        await self.engine.dispose()


# SQLite connections kept open: one writer at a time, so a few beside the readers are enough.
SQLITE_CONNECTIONS = 10


def build_api_services(
    settings: Settings, transport: Transport | None = None, hub: MemoryHub | None = None
) -> ApiServices:
    # Connections kept open between requests (disposed in stop()), as many as the requests of a
    # busy process use at once: a pool smaller than that opened and closed a PostgreSQL connection
    # (a backend, asyncpg's type setup) for a request in every few under 16 concurrent clients.
    engine = make_engine(
        settings.database,
        settings.role_name,
        pool_size=settings.db_pool_size if not settings.database.is_sqlite else SQLITE_CONNECTIONS,
        keep_sqlite_connections=True,
        statements_on_loop=True,
    )
    transport = transport or make_transport(settings, hub)
    # With NATS, any replica's changes reach the streams open on every replica.
    broadcast = NatsBroadcast(settings.nats_url) if settings.transport == "nats" else LocalOnly()
    realtime = RealtimeHub(broadcast=broadcast)
    inbox_config = InboxConfig(
        max_attempts=settings.inbox_max_attempts,
        gap_timeout_seconds=settings.inbox_gap_timeout_seconds,
        # A SQLite transaction holds the file's write lock, so it stays short (20 events, applied
        # together without savepoints: tens of milliseconds) to let requests' writes through; one event
        # per transaction made a burst of the Worker's hints queue behind the creates (ADR 0034).
        events_per_transaction=20 if settings.database.is_sqlite else 50,
    )
    messaging = MessagingRuntime(
        service="api",
        database=settings.database,
        engine=engine,
        tables=tables.messaging,
        transport=transport,
        handlers=api_event_handlers(realtime),
        inbox_config=inbox_config,
        relay_config=RelayConfig(retention_hours=settings.outbox_retention_hours),
        # Automation rules run on the API's own task events, whichever path recorded them.
        local_consumer=LocalConsumer(
            RULES_CONSUMER, rule_event_handlers(realtime), replace(inbox_config, own_events=True), RULES_MAY_ACT
        ),
    )
    scheduler = TemplateScheduler(
        engine,
        messaging.new_unit_of_work,
        Lease(engine, tables.messaging, "templates:api", process_owner_id(), ttl_seconds=120),
    )
    rule_scheduler = RuleScheduler(
        engine,
        messaging.new_unit_of_work,
        Lease(engine, tables.messaging, "rules:api", process_owner_id(), ttl_seconds=120),
        publish=realtime.publish_task_changes,
    )
    # Private targets only when the operator says so (a receiver on this machine or network).
    sender = WebhookSender(AddressPolicy.anything() if settings.webhook_allow_private else AddressPolicy())
    webhooks = WebhookDeliverer(
        engine,
        messaging.new_unit_of_work,
        Lease(engine, tables.messaging, "webhooks:api", process_owner_id(), ttl_seconds=120),
        sender,
        DeliveryPolicy(max_attempts=settings.webhook_max_attempts),
        settings.webhook_poll_seconds,
    )
    services = ApiServices(
        settings=settings, engine=engine, messaging=messaging, realtime=realtime, scheduler=scheduler,
        rule_scheduler=rule_scheduler, webhook_sender=sender, webhooks=webhooks,
    )  # fmt: skip
    # The IMAP and SMTP clients are imported only when configured: most instances use neither.
    if settings.mailbox is not None:
        from kanban.api.capture.mailbox import MailboxWatcher

        services.mailbox = MailboxWatcher(
            settings.mailbox,
            engine,
            services.new_unit_of_work,
            Lease(engine, tables.messaging, "mailbox:api", process_owner_id(), ttl_seconds=120),
        )
    if settings.smtp is not None:
        from kanban.api.digest.mailer import SmtpMailer

        services.digest = DigestScheduler(
            engine,
            services.new_unit_of_work,
            Lease(engine, tables.messaging, "digest:api", process_owner_id(), ttl_seconds=120),
            SmtpMailer(settings.smtp),
            settings.smtp.sender,
            DigestLinks(settings.public_url, settings.jwt_secret),
            settings.digest_poll_seconds,
        )
    return services

"""Prometheus metrics of the event flow: backlog gauges refreshed from the database, flow counters."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from prometheus_client import Counter, Gauge

from kanban.db.async_core import AsyncEngine
from kanban.messaging.operations import events_status
from kanban.messaging.tables import MessagingTables
from kanban.messaging.transports.base import Transport

log = logging.getLogger(__name__)

OUTBOX_PENDING = Gauge("kanban_outbox_pending", "Outbox rows not yet published", ["service"])
OUTBOX_OLDEST_PENDING_AGE = Gauge(
    "kanban_outbox_oldest_pending_age_seconds", "Age of the oldest unpublished outbox row", ["service"]
)
INBOX_PENDING = Gauge("kanban_inbox_pending", "Received events not yet applied", ["service", "consumer"])
INBOX_OLDEST_PENDING_AGE = Gauge(
    "kanban_inbox_oldest_pending_age_seconds", "Age of the oldest received, unapplied event", ["service", "consumer"]
)
PEER_UP = Gauge(
    "kanban_peer_up",
    "1 when this service reaches its peer (the other service over http, the broker over nats), else 0",
    ["service", "peer"],
)
DEAD_LETTERS = Gauge("kanban_dead_letters", "Events in the dead-letter table", ["service", "consumer"])

EVENTS_PUBLISHED = Counter("kanban_events_published_total", "Events handed to a transport", ["source", "destination"])
EVENTS_RECEIVED = Counter(
    "kanban_events_received_total", "Events committed to an inbox (duplicates included)", ["consumer"]
)
EVENTS_APPLIED = Counter(
    "kanban_events_applied_total", "Inbox events processed, by outcome (processed or skipped)", ["consumer", "outcome"]
)
EVENTS_DEAD_LETTERED = Counter(
    "kanban_events_dead_lettered_total", "Events moved to the dead-letter table", ["consumer"]
)


async def refresh_event_metrics(engine: AsyncEngine, tables: MessagingTables, service: str) -> None:
    """Set the backlog gauges of one service from its database."""
    status = await events_status(engine, tables, service)
    OUTBOX_PENDING.labels(service).set(status.outbox.pending)
    OUTBOX_OLDEST_PENDING_AGE.labels(service).set(status.outbox.oldest_pending_age_seconds)
    for consumer in status.consumers:
        INBOX_PENDING.labels(service, consumer.consumer).set(consumer.pending)
        INBOX_OLDEST_PENDING_AGE.labels(service, consumer.consumer).set(consumer.oldest_pending_age_seconds)
        DEAD_LETTERS.labels(service, consumer.consumer).set(consumer.dead_letters)


async def refresh_peer_metric(transport: Transport, service: str, peer: str) -> None:
    try:
        await asyncio.wait_for(transport.check(), 3.0)
    except Exception:  # any failure to reach the peer means "away", which this gauge reports
        PEER_UP.labels(service, peer).set(0)
    else:
        PEER_UP.labels(service, peer).set(1)


async def run_metrics_refresh(
    engine: AsyncEngine,
    tables: MessagingTables,
    service: str,
    stop: asyncio.Event,
    interval_seconds: float = 15.0,
    peer: tuple[Transport, str] | None = None,
) -> None:
    """Refresh the gauges every `interval_seconds` until `stop` is set; start it as a task in the lifespan."""
    while not stop.is_set():
        try:
            await refresh_event_metrics(engine, tables, service)
        except Exception:
            # Loop boundary: a failed refresh leaves the last values; the next round tries again.
            log.exception("event metrics of %s: refresh failed", service)
        if peer is not None:
            await refresh_peer_metric(peer[0], service, peer[1])
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval_seconds)

"""The relay: publishes a service's pending outbox rows in order and marks them sent.

It never reads with an offset cursor: each round takes the oldest unsent rows, publishes them,
and marks exactly those rows sent. A crash between publish and mark re-publishes them, which the
receiving inbox turns into a no-op. Only the holder of the database's relay lease publishes.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta
from itertools import groupby

from sqlalchemy import and_, bindparam, delete, func, select, update

from kanban.contracts.envelope import Envelope
from kanban.db.async_core import AsyncEngine
from kanban.db.engine import read_only_connection, single_read, single_write, write_transaction
from kanban.db.types import utcnow
from kanban.messaging.backoff import Backoff
from kanban.messaging.lease import Lease
from kanban.messaging.metrics import EVENTS_PUBLISHED
from kanban.messaging.tables import MessagingTables
from kanban.messaging.transports.base import Transport, TransportError
from kanban.messaging.wakeup import Wakeup

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RelayConfig:
    batch_size: int = 500
    poll_seconds: float = 1.0
    retention_hours: float = 72.0
    prune_every_seconds: float = 300.0
    backoff: Backoff = Backoff(base_seconds=0.2, max_seconds=5.0)


class Relay:
    def __init__(
        self,
        engine: AsyncEngine,
        tables: MessagingTables,
        transport: Transport,
        lease: Lease,
        wakeup: Wakeup,
        config: RelayConfig = RelayConfig(),
    ) -> None:
        self._engine = engine
        self._outbox = tables.outbox
        self._transport = transport
        self._lease = lease
        self._wakeup = wakeup
        self._config = config
        self.failures = 0
        # Built once, values bound: the relay runs a round per commit when events trickle in.
        outbox = self._outbox
        self._pending = (
            select(outbox.c.seq, outbox.c.destination, outbox.c.envelope)
            .where(outbox.c.sent_at.is_(None))
            .order_by(outbox.c.seq)
            .limit(config.batch_size)
        )
        self._sent = (
            update(outbox).where(outbox.c.seq.in_(bindparam("seqs", expanding=True))).values(sent_at=bindparam("now"))
        )

    async def relay_pending(self) -> int:
        """Publish one batch of the oldest unsent rows; returns how many were sent."""
        async with single_read(self._engine) as conn:
            rows = (await conn.execute(self._pending)).all()
        if not rows:
            return 0
        sent = 0
        # Consecutive rows for one destination travel as one batch, keeping their order.
        for destination, group in groupby(rows, key=lambda r: r.destination):
            chunk = list(group)
            envelopes = [Envelope.model_validate_json(r.envelope) for r in chunk]
            await self._transport.publish(destination, envelopes)
            EVENTS_PUBLISHED.labels(envelopes[0].source, destination).inc(len(envelopes))
            await self._mark_sent([r.seq for r in chunk])
            sent += len(chunk)
        return sent

    async def _mark_sent(self, seqs: list[int]) -> None:
        async with single_write(self._engine) as conn:
            await conn.execute(self._sent, {"seqs": seqs, "now": utcnow()})

    async def prune(self) -> int:
        """Delete rows sent longer ago than the retention period."""
        cutoff = utcnow() - timedelta(hours=self._config.retention_hours)
        async with write_transaction(self._engine) as conn:
            result = await conn.execute(
                delete(self._outbox).where(and_(self._outbox.c.sent_at.is_not(None), self._outbox.c.sent_at < cutoff))
            )
        return int(result.rowcount or 0)

    async def pending_count(self) -> int:
        async with read_only_connection(self._engine) as conn:
            return int(
                await conn.scalar(
                    select(func.count()).select_from(self._outbox).where(self._outbox.c.sent_at.is_(None))
                )
                or 0
            )

    async def run(self, stop: asyncio.Event) -> None:
        """Relay until `stop` is set: drain while there is work, back off while the peer is away."""
        last_prune = 0.0
        loop = asyncio.get_running_loop()
        while not stop.is_set():
            try:
                if not await self._lease.acquire():
                    await self._wakeup.wait(self._config.poll_seconds * 2)
                    continue
                sent = await self.relay_pending()
                self.failures = 0
                if loop.time() - last_prune > self._config.prune_every_seconds:
                    await self.prune()
                    last_prune = loop.time()
                if sent < self._config.batch_size:
                    await self._wakeup.wait(self._config.poll_seconds)
            except TransportError as exc:
                self.failures += 1
                delay = self._config.backoff.delay(self.failures)
                log.warning("relay %s: publish failed (%s); retrying in %.1fs", self._lease.name, exc, delay)
                await _sleep_unless(stop, delay)
            except Exception:
                # Loop boundary: a database hiccup must not kill the relay; the rows stay pending.
                self.failures += 1
                delay = self._config.backoff.delay(self.failures)
                log.exception("relay %s: round failed; retrying in %.1fs", self._lease.name, delay)
                await _sleep_unless(stop, delay)
        await self._lease.release()


async def _sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        return

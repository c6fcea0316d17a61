"""What operators ask of a service's event tables: status, dead letters to retry or drop, replays."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, delete, func, select, update

from kanban.db.async_core import AsyncEngine
from kanban.db.engine import read_only_connection
from kanban.db.types import utcnow
from kanban.messaging.tables import MessagingTables


@dataclass(frozen=True)
class OutboxStatus:
    pending: int
    oldest_pending_age_seconds: float
    last_seq: int | None
    first_kept_seq: int | None


@dataclass(frozen=True)
class ConsumerStatus:
    consumer: str
    pending: int
    retrying: int
    oldest_pending_age_seconds: float
    processed: int
    dead_letters: int


@dataclass(frozen=True)
class EventsStatus:
    service: str
    outbox: OutboxStatus
    consumers: tuple[ConsumerStatus, ...]


@dataclass(frozen=True)
class DeadLetter:
    consumer: str
    event_id: str
    event_type: str
    aggregate_id: str
    attempts: int
    error: str
    dead_at: datetime


@dataclass(frozen=True)
class ReplayResult:
    marked: int
    first_kept_seq: int | None
    last_seq: int | None

    def pruned_before(self, from_seq: int) -> bool:
        """True when part of the requested range was already deleted by the outbox retention."""
        return self.first_kept_seq is None or from_seq < self.first_kept_seq


def _age(oldest: datetime | None) -> float:
    return max((utcnow() - oldest).total_seconds(), 0.0) if oldest is not None else 0.0


async def outbox_status(engine: AsyncEngine, tables: MessagingTables) -> OutboxStatus:
    outbox = tables.outbox
    async with read_only_connection(engine) as conn:
        pending, oldest = (
            await conn.execute(select(func.count(), func.min(outbox.c.created_at)).where(outbox.c.sent_at.is_(None)))
        ).one()
        first, last = (await conn.execute(select(func.min(outbox.c.seq), func.max(outbox.c.seq)))).one()
    return OutboxStatus(int(pending), _age(oldest), last, first)


async def consumer_statuses(engine: AsyncEngine, tables: MessagingTables) -> tuple[ConsumerStatus, ...]:
    """One line per consumer that ever received an event in this database."""
    inbox, dead = tables.inbox, tables.dead_letters
    now = utcnow()
    async with read_only_connection(engine) as conn:
        rows = (
            await conn.execute(
                select(
                    inbox.c.consumer,
                    func.count().filter(inbox.c.status == "pending"),
                    func.count().filter(and_(inbox.c.status == "pending", inbox.c.attempts > 0)),
                    func.min(inbox.c.received_at).filter(inbox.c.status == "pending"),
                    func.count().filter(inbox.c.status.in_(("processed", "skipped"))),
                ).group_by(inbox.c.consumer)
            )
        ).all()
        dead_counts: dict[str, int] = dict(
            (await conn.execute(select(dead.c.consumer, func.count()).group_by(dead.c.consumer))).all()
        )
    found = {
        consumer: ConsumerStatus(
            consumer,
            int(pending),
            int(retrying),
            max((now - oldest).total_seconds(), 0.0) if oldest is not None else 0.0,
            int(processed),
            int(dead_counts.get(consumer, 0)),
        )
        for consumer, pending, retrying, oldest, processed in rows
    }
    for consumer, count in dead_counts.items():
        found.setdefault(consumer, ConsumerStatus(consumer, 0, 0, 0.0, 0, int(count)))
    return tuple(found[c] for c in sorted(found))


async def events_status(engine: AsyncEngine, tables: MessagingTables, service: str) -> EventsStatus:
    return EventsStatus(service, await outbox_status(engine, tables), await consumer_statuses(engine, tables))


async def list_dead_letters(
    engine: AsyncEngine, tables: MessagingTables, event_ids: Sequence[str] | None = None, limit: int = 1000
) -> list[DeadLetter]:
    dead = tables.dead_letters
    query = select(
        dead.c.consumer,
        dead.c.event_id,
        dead.c.event_type,
        dead.c.aggregate_id,
        dead.c.attempts,
        dead.c.error,
        dead.c.dead_at,
    ).order_by(dead.c.dead_at, dead.c.event_id)
    if event_ids is not None:
        query = query.where(dead.c.event_id.in_(list(event_ids)))
    async with read_only_connection(engine) as conn:
        return [DeadLetter(*row) for row in (await conn.execute(query.limit(limit))).all()]


async def retry_dead_letters(engine: AsyncEngine, tables: MessagingTables, event_ids: Sequence[str] | None) -> int:
    """Put dead-lettered events back in the inbox as fresh (attempts 0); `None` retries them all."""
    inbox, dead = tables.inbox, tables.dead_letters
    async with engine.begin() as conn:
        query = select(dead.c.consumer, dead.c.event_id)
        if event_ids is not None:
            query = query.where(dead.c.event_id.in_(list(event_ids)))
        keys = (await conn.execute(query)).all()
        for consumer, event_id in keys:
            await conn.execute(
                update(inbox)
                .where(inbox.c.consumer == consumer, inbox.c.event_id == event_id)
                .values(status="pending", attempts=0, next_attempt_at=utcnow(), processed_at=None)
            )
            await conn.execute(delete(dead).where(dead.c.consumer == consumer, dead.c.event_id == event_id))
    return len(keys)


async def drop_dead_letters(engine: AsyncEngine, tables: MessagingTables, event_ids: Sequence[str] | None) -> int:
    """Forget dead letters; their inbox rows stay `dead`, so a redelivery is still a no-op."""
    dead = tables.dead_letters
    statement = delete(dead)
    if event_ids is not None:
        statement = statement.where(dead.c.event_id.in_(list(event_ids)))
    async with engine.begin() as conn:
        result = await conn.execute(statement)
    return int(result.rowcount or 0)


async def replay_outbox(
    engine: AsyncEngine, tables: MessagingTables, from_seq: int, to_seq: int | None = None
) -> ReplayResult:
    """Mark outbox rows in [from_seq, to_seq] unsent so the relay publishes them again (receivers dedupe)."""
    outbox = tables.outbox
    condition = outbox.c.seq >= from_seq
    if to_seq is not None:
        condition = and_(condition, outbox.c.seq <= to_seq)
    async with engine.begin() as conn:
        result = await conn.execute(update(outbox).where(condition, outbox.c.sent_at.is_not(None)).values(sent_at=None))
        first, last = (await conn.execute(select(func.min(outbox.c.seq), func.max(outbox.c.seq)))).one()
    return ReplayResult(int(result.rowcount or 0), first, last)

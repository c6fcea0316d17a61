"""The inbox: receiving events exactly once, and applying them in order per aggregate.

Receiving inserts `(consumer, event_id)` rows (duplicates are no-ops) and returns: that is what a
transport waits for before it acknowledges. Processing then takes each pending row and, in ONE
transaction with the handler's effects, marks it processed. Per aggregate, events apply in
version order: stale versions are skipped, a gap is held for a bounded time, a terminal event
(delete) wins over anything that arrives after it. A failing handler is retried with backoff and,
after the last attempt, its event goes to the dead-letter table; other aggregates never wait.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from itertools import groupby
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, Table, bindparam, select, text, union_all, update

from kanban.contracts.base import ContractError, Event
from kanban.contracts.envelope import Envelope
from kanban.contracts.registry import decode
from kanban.db.async_core import AsyncConnection, AsyncEngine
from kanban.db.engine import single_write, write_transaction
from kanban.db.types import utcnow
from kanban.messaging.backoff import Backoff
from kanban.messaging.correlation import Causality, reset_causality, set_causality
from kanban.messaging.lease import Lease
from kanban.messaging.metrics import EVENTS_APPLIED, EVENTS_DEAD_LETTERED, EVENTS_RECEIVED
from kanban.messaging.outbox import inbox_channel
from kanban.messaging.sql import (
    dialect_insert,
    insert_ignoring_duplicates,
    unnested_insert,
    unnested_params,
    upsert_many,
    upsert_row,
)
from kanban.messaging.tables import MessagingTables
from kanban.messaging.unit_of_work import UnitOfWork
from kanban.messaging.wakeup import Wakeup

log = logging.getLogger(__name__)

Handler = Callable[[Event, Envelope, UnitOfWork], Awaitable[None]]


@dataclass(frozen=True)
class InboxConfig:
    max_attempts: int = 8
    gap_timeout_seconds: float = 30.0
    # A held event steps out of the processing window for this long, so events behind it get a turn.
    hold_recheck_seconds: float = 1.0
    batch_size: int = 200
    # Events applied per transaction (each in its own savepoint). Many amortise the commit; on SQLite,
    # where a write transaction locks the whole file, 1 lets receiving interleave with applying.
    events_per_transaction: int = 50
    poll_seconds: float = 1.0
    # A consumer of its own service's events (LocalDelivery) gets them in commit order, from the
    # transaction that recorded them, and only those it admits. So a task's order may start at any
    # version (tasks older than the consumer, migrated ones), and a gap is an event it was never
    # given, not one on its way: it waits only for an earlier version already in its inbox.
    own_events: bool = False
    backoff: Backoff = field(default_factory=lambda: Backoff(base_seconds=0.5, max_seconds=300.0))


@dataclass(frozen=True)
class _Row:
    event_id: str
    aggregate_id: str
    aggregate_version: int | None
    envelope: str
    attempts: int
    received_at: datetime


@dataclass(frozen=True)
class _Cursor:
    version: int
    deleted: bool


@dataclass(frozen=True)
class _Failure:
    error: str
    dead: bool  # the last attempt: the event goes to the dead-letter table


@dataclass
class _Batch:
    """What one processing round decided, acted on after its transaction commits."""

    done: list[str] = field(default_factory=list)
    held: list[_Row] = field(default_factory=list)
    failed: list[tuple[_Row, _Failure]] = field(default_factory=list)
    undecodable: list[tuple[_Row, str]] = field(default_factory=list)
    applied_aggregates: set[str] = field(default_factory=set)

    def merge(self, other: _Batch) -> None:
        self.done += other.done
        self.held += other.held
        self.failed += other.failed
        self.undecodable += other.undecodable
        self.applied_aggregates |= other.applied_aggregates


@dataclass(frozen=True)
class Admission:
    """A condition on an event, evaluated inside the statement that would add it to an inbox: the event
    enters only when it holds (an own-inbox consumer with nothing to do for it is never given it).

    `condition` builds the SQL condition over a bound parameter (built once per statement shape, not
    per event); `key` is the event's value for that parameter.
    """

    key: Callable[[Envelope], Any]
    condition: Callable[[BindParameter[Any]], ColumnElement[bool]]


_INBOX_COLUMNS = (
    "consumer", "event_id", "event_type", "aggregate_id", "aggregate_version", "envelope", "status",
    "attempts", "received_at", "next_attempt_at",
)  # fmt: skip


def _inbox_rows(consumer: str, envelopes: Sequence[Envelope]) -> list[dict[str, Any]]:
    now = utcnow()
    return [
        {
            "consumer": consumer,
            "event_id": env.key,
            "event_type": env.type,
            "aggregate_id": env.aggregate_id,
            "aggregate_version": env.aggregate_version,
            "envelope": env.model_dump_json(),
            "status": "pending",
            "attempts": 0,
            "received_at": now,
            "next_attempt_at": now,
        }
        for env in envelopes
    ]


@lru_cache(maxsize=16)
def unnested_inbox_insert(inbox: Table) -> Any:
    """PostgreSQL: the INSERT of any number of pending inbox rows as one statement (duplicates ignored)."""
    return unnested_insert(inbox, _INBOX_COLUMNS, "inbox").on_conflict_do_nothing()


def admitted_insert(dialect: str, inbox: Table, admission: Admission, count: int) -> Any:
    """INSERT … SELECT of `count` inbox rows, each only where its admission holds (duplicates ignored).

    Its values are bound parameters `inbox_<column>_<n>` and `admit_<n>` (see `admitted_params`).
    """
    chosen = [
        select(*(bindparam(f"inbox_{name}_{n}", type_=inbox.c[name].type) for name in _INBOX_COLUMNS)).where(
            admission.condition(bindparam(f"admit_{n}"))
        )
        for n in range(count)
    ]
    source = chosen[0] if count == 1 else union_all(*chosen)
    return dialect_insert(dialect, inbox).on_conflict_do_nothing().from_select(list(_INBOX_COLUMNS), source)


def admitted_params(consumer: str, admission: Admission, envelopes: Sequence[Envelope]) -> dict[str, Any]:
    """The values of `admitted_insert` for `envelopes`."""
    params: dict[str, Any] = {}
    for n, (row, env) in enumerate(zip(_inbox_rows(consumer, envelopes), envelopes, strict=True)):
        params |= {f"inbox_{name}_{n}": value for name, value in row.items()}
        params[f"admit_{n}"] = admission.key(env)
    return params


async def insert_into_inbox(
    conn: AsyncConnection, tables: MessagingTables, consumer: str, envelopes: Sequence[Envelope]
) -> None:
    """Pending inbox rows for `envelopes` on the caller's transaction (duplicates ignored)."""
    await conn.execute(insert_ignoring_duplicates(conn, tables.inbox), _inbox_rows(consumer, envelopes))
    if conn.dialect.name == "postgresql":
        # The replica that received may not be the one processing (the lease holder): wake it.
        await conn.execute(text("SELECT pg_notify(:channel, '')"), {"channel": inbox_channel(consumer)})


@dataclass(frozen=True)
class LocalDelivery:
    """Events a service consumes itself: they enter its own inbox in the transaction that records them.

    No transport is involved, so the consumer sees every committed change of every path at least
    once, in the same order and with the same exactly-once effect as an event from the peer. With
    `admits`, only the events for which the condition holds in that same statement are given to it
    (the rule engine's: a board with an enabled rule), so an event nobody will act on costs no round.
    """

    consumer: str
    tables: MessagingTables
    event_types: frozenset[str]
    wakeup: Wakeup
    admits: Admission | None = None
    # The admitted INSERT per (dialect, number of events): built once, its values bound.
    _statements: dict[tuple[str, int], Any] = field(default_factory=dict, compare=False, repr=False)

    def chosen(self, envelopes: Sequence[Envelope]) -> list[Envelope]:
        """The envelopes this consumer takes by type (`admits` still decides in the INSERT)."""
        return [env for env in envelopes if env.type in self.event_types]

    def unnested(self, chosen: Sequence[Envelope]) -> tuple[Any, dict[str, Any]]:
        """PostgreSQL: the INSERT of `chosen` into this consumer's inbox (no admission) and its values,
        for a caller that sends it with other statements."""
        rows = _inbox_rows(self.consumer, chosen)
        return unnested_inbox_insert(self.tables.inbox), unnested_params(_INBOX_COLUMNS, "inbox", rows)

    def admitted(self, dialect: str, chosen: Sequence[Envelope]) -> tuple[Any, dict[str, Any]]:
        """The admitted INSERT of `chosen` and its values (only with `admits`)."""
        assert self.admits is not None
        key = (dialect, len(chosen))
        statement = self._statements.get(key)
        if statement is None:
            statement = self._statements[key] = admitted_insert(dialect, self.tables.inbox, self.admits, len(chosen))
        return statement, admitted_params(self.consumer, self.admits, chosen)

    async def deliver(self, conn: AsyncConnection, envelopes: Sequence[Envelope]) -> bool:
        """Add the chosen envelopes to the inbox; returns whether any row went in (worth a wake-up)."""
        chosen = self.chosen(envelopes)
        if not chosen:
            return False
        if self.admits is None:
            await insert_into_inbox(conn, self.tables, self.consumer, chosen)
            return True
        statement, params = self.admitted(conn.dialect.name, chosen)
        inserted = await conn.execute(statement, params)
        if not inserted.rowcount:
            return False
        if conn.dialect.name == "postgresql":
            await conn.execute(text("SELECT pg_notify(:channel, '')"), {"channel": inbox_channel(self.consumer)})
        return True


def _in_apply_order(rows: list[_Row]) -> list[_Row]:
    """Rows grouped by aggregate, each aggregate's versions lowest first."""
    rows = sorted(rows, key=lambda r: r.aggregate_id)
    return [
        row
        for _, group in groupby(rows, key=lambda r: r.aggregate_id)
        for row in sorted(group, key=lambda r: (r.aggregate_version is None, r.aggregate_version or 0))
    ]


@dataclass(frozen=True)
class _RoundStatements:
    """The statements every processed event runs, built once per inbox (their values are bound)."""

    pending: Any
    claim: Any
    claim_all: Any  # the batch form of `claim`
    cursor: Any
    cursors: Any  # the batch form of `cursor`

    @classmethod
    def build(cls, consumer: str, tables: MessagingTables, batch_size: int) -> _RoundStatements:
        inbox, cursors = tables.inbox, tables.cursors
        pending = (
            select(
                inbox.c.event_id, inbox.c.aggregate_id, inbox.c.aggregate_version, inbox.c.envelope,
                inbox.c.attempts, inbox.c.received_at,
            )
            .where(inbox.c.consumer == consumer, inbox.c.status == "pending", inbox.c.next_attempt_at <= bindparam("now"))
            # Versions of one aggregate come lowest first, so a batch boundary never hides the
            # event a gap is waiting for behind the ones that wait for it.
            .order_by(inbox.c.received_at, inbox.c.aggregate_id, inbox.c.aggregate_version, inbox.c.event_id)
            .limit(batch_size)
        )  # fmt: skip
        claim = (
            update(inbox)
            .where(
                inbox.c.consumer == consumer, inbox.c.event_id == bindparam("claimed_id"), inbox.c.status == "pending"
            )
            .values(status=bindparam("outcome"), processed_at=bindparam("now"))
        )
        claim_all = (
            update(inbox)
            .where(
                inbox.c.consumer == consumer,
                inbox.c.event_id.in_(bindparam("claimed_ids", expanding=True)),
                inbox.c.status == "pending",
            )
            .values(status=bindparam("outcome"), processed_at=bindparam("now"))
        )
        cursor = select(cursors.c.version, cursors.c.deleted).where(
            cursors.c.consumer == consumer, cursors.c.aggregate_id == bindparam("aggregate_id")
        )
        batch_cursors = select(cursors.c.aggregate_id, cursors.c.version, cursors.c.deleted).where(
            cursors.c.consumer == consumer, cursors.c.aggregate_id.in_(bindparam("aggregate_ids", expanding=True))
        )
        return cls(pending, claim, claim_all, cursor, batch_cursors)


class Inbox:
    def __init__(
        self,
        consumer: str,
        engine: AsyncEngine,
        tables: MessagingTables,
        handlers: dict[str, Handler],
        new_unit_of_work: Callable[[], UnitOfWork],
        config: InboxConfig = InboxConfig(),
        rng: random.Random | None = None,
    ) -> None:
        self.consumer = consumer
        self._engine = engine
        self._t = tables
        self._handlers = handlers
        self._new_uow = new_unit_of_work
        self._config = config
        self._rng = rng or random.Random()
        self.wakeup = Wakeup()
        # Aggregates with an event held behind a gap: applying one of their events wakes its successors.
        self._held: set[str] = set()
        self._statements = _RoundStatements.build(consumer, tables, config.batch_size)

    # --- receiving ------------------------------------------------------------------------

    async def receive(self, envelopes: Sequence[Envelope]) -> None:
        """Commit the envelopes to the inbox (duplicates ignored). Returns once they are durable."""
        if not envelopes:
            return
        # One event twice in a batch would be one row anyway; dropping it here keeps the INSERT simple.
        envelopes = list({env.key: env for env in envelopes}.values())
        # The rows commit before the NOTIFY that sends the lease holder to read them.
        async with single_write(self._engine) as conn:
            await insert_into_inbox(conn, self._t, self.consumer, envelopes)
        EVENTS_RECEIVED.labels(self.consumer).inc(len(envelopes))
        self.wakeup.signal()

    # --- processing -----------------------------------------------------------------------

    async def process_available(self) -> int:
        """Process what is ready now; returns how many events were applied, skipped or dead-lettered.

        Up to `events_per_transaction` events share a transaction. It is first tried in one go: the
        cursors of its aggregates read in one statement, its events claimed in one statement per
        outcome and the cursors advanced in one. If a handler fails (or an event was claimed
        elsewhere) that transaction rolls back and the same events run again one savepoint each, so
        an event's effects and its inbox mark still commit or roll back together.
        """
        batch = _Batch()
        ordered: list[_Row] | None = None
        blocked: set[str] = set()  # aggregates whose later versions wait behind a gap or a retry
        position = 0
        while ordered is None or position < len(ordered):
            chunk: list[_Row] = []
            async with self._new_uow() as uow:
                if ordered is None:
                    # Read in the first applying transaction: a round costs one connection, not two.
                    ordered = _in_apply_order(await self._pending_rows(uow.conn))
                    if not ordered:
                        return 0
                chunk, position = self._next_chunk(ordered, position, blocked)
                trial, trial_blocked = _Batch(), set(blocked)
                together = await self._apply_together(uow, chunk, trial, trial_blocked)
                if together is True:
                    await uow.commit()
                    batch.merge(trial)
                    blocked = trial_blocked
                    continue
                await uow.rollback()
            async with self._new_uow() as uow:
                for row in chunk:
                    if row.aggregate_id in blocked:
                        continue
                    if together is not False and together[0] is row:
                        # It failed on the first pass, after the same events before it: that was its attempt.
                        batch.failed.append(together)
                        blocked.add(row.aggregate_id)
                        continue
                    outcome = await self._apply_one(uow, row, batch)
                    if outcome in ("held", "failed"):
                        blocked.add(row.aggregate_id)
                await uow.commit()
        for row in batch.held:
            await self._hold(row)
        for row, failure in batch.failed:
            await self._fail(row, failure)
        for row, reason in batch.undecodable:
            await self._dead_letter(row, f"undecodable: {reason}", row.attempts + 1)
        for outcome in batch.done:
            EVENTS_APPLIED.labels(self.consumer, "skipped" if outcome == "skip" else "processed").inc()
        woken = batch.applied_aggregates & self._held
        if woken:
            self._held -= woken
            self.wakeup.signal()
        return len(batch.done) + len(batch.undecodable) + sum(1 for _, e in batch.failed if e.dead)

    def _next_chunk(self, ordered: list[_Row], position: int, blocked: set[str]) -> tuple[list[_Row], int]:
        """The next events for one transaction (those of blocked aggregates are passed over), and where the rest begin."""
        chunk: list[_Row] = []
        while position < len(ordered) and len(chunk) < self._config.events_per_transaction:
            if ordered[position].aggregate_id not in blocked:
                chunk.append(ordered[position])
            position += 1
        return chunk, position

    async def _apply_together(
        self, uow: UnitOfWork, chunk: list[_Row], batch: _Batch, blocked: set[str]
    ) -> bool | tuple[_Row, _Failure]:
        """Apply `chunk` in the unit of work's transaction without savepoints.

        True: done, commit. Otherwise roll back and go one by one: False when some event was claimed
        elsewhere, or the event that failed and how, so that pass records its attempt instead of
        running it again.
        """
        cursors = await self._cursors(uow.conn, {row.aggregate_id for row in chunk})
        claims: dict[str, list[str]] = {"processed": [], "skipped": []}
        advanced: dict[str, dict[str, Any]] = {}
        for row in chunk:
            if row.aggregate_id in blocked:
                continue
            try:
                envelope = Envelope.model_validate_json(row.envelope)
                event = decode(envelope)
            except (ContractError, ValueError) as exc:
                batch.undecodable.append((row, str(exc)))
                continue
            cls = type(event)
            token = set_causality(Causality(envelope.correlation_id, envelope.id))
            try:
                verdict = await self._order_verdict(uow, envelope, cls, row, cursors.get(row.aggregate_id))
                if verdict == "held":
                    batch.held.append(row)
                    blocked.add(row.aggregate_id)
                    continue
                if verdict == "apply":
                    handler = self._handlers.get(envelope.type)
                    if handler is not None:
                        await handler(event, envelope, uow)
                    if row.aggregate_id in self._held:
                        await self._wake_successors(uow, row)
            except Exception as exc:  # noqa: BLE001 - handed to the one-by-one pass, which records it
                log.warning("inbox %s: event %s (%s) failed: %r", self.consumer, row.event_id, envelope.type, exc)
                return row, self._failure(row, exc)
            finally:
                reset_causality(token)
            if verdict == "apply":
                if cls.ORDERED and envelope.aggregate_version is not None:
                    cursors[row.aggregate_id] = _Cursor(envelope.aggregate_version, cls.TERMINAL)
                    advanced[row.aggregate_id] = self._cursor_row(envelope, cls)
                batch.applied_aggregates.add(row.aggregate_id)
            claims["processed" if verdict == "apply" else "skipped"].append(row.event_id)
            batch.done.append(verdict)
        for status, event_ids in claims.items():
            if not event_ids:
                continue
            claimed = await uow.conn.execute(
                self._statements.claim_all, {"claimed_ids": event_ids, "outcome": status, "now": utcnow()}
            )
            if claimed.rowcount != len(event_ids):
                return False  # some were processed meanwhile by another processor
        if advanced:
            rows = list(advanced.values())
            statement = upsert_many(uow.conn, self._t.cursors, list(rows[0]), ["consumer", "aggregate_id"])
            await uow.conn.execute(statement, rows)
        return True

    async def _cursors(self, conn: AsyncConnection, aggregate_ids: set[str]) -> dict[str, _Cursor]:
        result = await conn.execute(self._statements.cursors, {"aggregate_ids": list(aggregate_ids)})
        return {r.aggregate_id: _Cursor(r.version, r.deleted) for r in result}

    async def _pending_rows(self, conn: AsyncConnection) -> list[_Row]:
        result = await conn.execute(self._statements.pending, {"now": utcnow()})
        return [_Row(*r) for r in result.all()]

    async def _apply_one(self, uow: UnitOfWork, row: _Row, batch: _Batch) -> str:
        """Apply, skip or hold one event inside its own savepoint of the batch's transaction."""
        try:
            envelope = Envelope.model_validate_json(row.envelope)
            event = decode(envelope)
        except (ContractError, ValueError) as exc:
            batch.undecodable.append((row, str(exc)))
            return "dead"
        token = set_causality(Causality(envelope.correlation_id, envelope.id))
        mark = uow.mark()
        try:
            async with uow.conn.begin_nested():
                cursor = await self._cursor(uow.conn, envelope) if type(event).ORDERED else None
                verdict = await self._order_verdict(uow, envelope, type(event), row, cursor)
                if verdict == "held":
                    batch.held.append(row)
                    return "held"
                claimed = await uow.conn.execute(
                    self._statements.claim,
                    {
                        "claimed_id": row.event_id,
                        "outcome": "processed" if verdict == "apply" else "skipped",
                        "now": utcnow(),
                    },
                )
                if claimed.rowcount != 1:
                    return "gone"  # processed meanwhile by another processor
                if verdict == "apply":
                    handler = self._handlers.get(envelope.type)
                    if handler is not None:
                        await handler(event, envelope, uow)
                    await self._advance_cursor(uow, envelope, type(event))
                    if row.aggregate_id in self._held:
                        await self._wake_successors(uow, row)
                    batch.applied_aggregates.add(row.aggregate_id)
            batch.done.append(verdict)
            return verdict
        except Exception as exc:
            # Loop boundary for one event: its savepoint rolled back; it is retried later or dead-lettered.
            uow.rewind(mark)
            log.warning("inbox %s: event %s (%s) failed: %r", self.consumer, row.event_id, envelope.type, exc)
            batch.failed.append((row, self._failure(row, exc)))
            return "failed"
        finally:
            reset_causality(token)

    def _failure(self, row: _Row, exc: Exception) -> _Failure:
        return _Failure(f"{type(exc).__name__}: {exc}", row.attempts + 1 >= self._config.max_attempts)

    async def _fail(self, row: _Row, failure: _Failure) -> None:
        if failure.dead:
            await self._dead_letter(row, failure.error, row.attempts + 1)
        else:
            await self._schedule_retry(row, row.attempts + 1, failure.error)

    async def _order_verdict(
        self, uow: UnitOfWork, envelope: Envelope, cls: type[Event], row: _Row, cursor: _Cursor | None
    ) -> str:
        """apply | skip | held, from the aggregate's cursor."""
        if not cls.ORDERED or envelope.aggregate_version is None:
            return "apply"
        version = envelope.aggregate_version
        if cursor is not None and (cursor.deleted or version <= cursor.version):
            return "skip"
        if cls.TERMINAL:
            return "apply"
        expected_next = cursor is not None and version == cursor.version + 1
        fresh_start = cursor is None and (cls.BASELINE or version == 1 or self._config.own_events)
        if expected_next or fresh_start:
            return "apply"
        waited = utcnow() - row.received_at
        if self._config.own_events or waited >= timedelta(seconds=self._config.gap_timeout_seconds):
            if await self._earlier_pending(uow, envelope.aggregate_id, version):
                return "held"  # the missing event is here, only retrying: waiting for it keeps the order
            if self._config.own_events:
                return "apply"  # versions this consumer was not given (its condition did not admit them)
            log.warning(
                "inbox %s: gap before %s v%s held %.0fs; applying",
                self.consumer,
                envelope.aggregate_id,
                version,
                waited.total_seconds(),
            )
            return "apply"
        return "held"

    async def _earlier_pending(self, uow: UnitOfWork, aggregate_id: str, version: int) -> bool:
        inbox = self._t.inbox
        found = await uow.conn.scalar(
            select(inbox.c.event_id)
            .where(
                inbox.c.consumer == self.consumer,
                inbox.c.aggregate_id == aggregate_id,
                inbox.c.status == "pending",
                inbox.c.aggregate_version < version,
            )
            .limit(1)
        )
        return found is not None

    async def _hold(self, row: _Row) -> None:
        """Step this event and its aggregate's later ones out of the window until a recheck or a wake-up."""
        inbox = self._t.inbox
        self._held.add(row.aggregate_id)
        async with write_transaction(self._engine) as conn:
            await conn.execute(
                update(inbox)
                .where(
                    inbox.c.consumer == self.consumer,
                    inbox.c.aggregate_id == row.aggregate_id,
                    inbox.c.status == "pending",
                    inbox.c.attempts == 0,
                    inbox.c.aggregate_version >= (row.aggregate_version or 0),
                )
                .values(next_attempt_at=utcnow() + timedelta(seconds=self._config.hold_recheck_seconds))
            )

    async def _wake_successors(self, uow: UnitOfWork, row: _Row) -> None:
        inbox = self._t.inbox
        await uow.conn.execute(
            update(inbox)
            .where(
                inbox.c.consumer == self.consumer,
                inbox.c.aggregate_id == row.aggregate_id,
                inbox.c.status == "pending",
                inbox.c.attempts == 0,
                inbox.c.aggregate_version > (row.aggregate_version or 0),
            )
            .values(next_attempt_at=utcnow())
        )

    async def _advance_cursor(self, uow: UnitOfWork, envelope: Envelope, cls: type[Event]) -> None:
        if not cls.ORDERED or envelope.aggregate_version is None:
            return
        row = self._cursor_row(envelope, cls)
        await upsert_row(uow.conn, self._t.cursors, row, ["consumer", "aggregate_id"])

    def _cursor_row(self, envelope: Envelope, cls: type[Event]) -> dict[str, Any]:
        return {
            "consumer": self.consumer,
            "aggregate_id": envelope.aggregate_id,
            "version": envelope.aggregate_version,
            "deleted": cls.TERMINAL,
            "updated_at": utcnow(),
        }

    async def _cursor(self, conn: AsyncConnection, envelope: Envelope) -> _Cursor | None:
        if envelope.aggregate_version is None:
            return None
        row = (await conn.execute(self._statements.cursor, {"aggregate_id": envelope.aggregate_id})).first()
        return None if row is None else _Cursor(row.version, row.deleted)

    async def _schedule_retry(self, row: _Row, attempts: int, error: str) -> None:
        delay = self._config.backoff.delay(attempts, self._rng)
        async with write_transaction(self._engine) as conn:
            await conn.execute(
                update(self._t.inbox)
                .where(self._t.inbox.c.consumer == self.consumer, self._t.inbox.c.event_id == row.event_id)
                .values(attempts=attempts, last_error=error[:2000], next_attempt_at=utcnow() + timedelta(seconds=delay))
            )

    async def _dead_letter(self, row: _Row, error: str, attempts: int) -> None:
        log.error(
            "inbox %s: event %s dead-lettered after %d attempt(s): %s", self.consumer, row.event_id, attempts, error
        )
        EVENTS_DEAD_LETTERED.labels(self.consumer).inc()
        try:
            event_type = Envelope.model_validate_json(row.envelope).type
        except ValueError:
            event_type = "unreadable"
        async with write_transaction(self._engine) as conn:
            await conn.execute(
                update(self._t.inbox)
                .where(self._t.inbox.c.consumer == self.consumer, self._t.inbox.c.event_id == row.event_id)
                .values(status="dead", attempts=attempts, last_error=error[:2000])
            )
            await conn.execute(
                insert_ignoring_duplicates(conn, self._t.dead_letters),
                {
                    "consumer": self.consumer,
                    "event_id": row.event_id,
                    "event_type": event_type,
                    "aggregate_id": row.aggregate_id,
                    "envelope": row.envelope,
                    "error": error[:2000],
                    "attempts": attempts,
                    "dead_at": utcnow(),
                },
            )

    async def run(self, stop: asyncio.Event, lease: Lease) -> None:
        """Process until `stop` is set; only the lease holder processes."""
        while not stop.is_set():
            try:
                if not await lease.acquire():
                    await self.wakeup.wait(self._config.poll_seconds * 2)
                    continue
                processed = await self.process_available()
                if processed < self._config.batch_size:
                    await self.wakeup.wait(self._config.poll_seconds)
            except Exception:
                log.exception("inbox %s: processing round failed", self.consumer)
                await self.wakeup.wait(self._config.poll_seconds)
        await lease.release()

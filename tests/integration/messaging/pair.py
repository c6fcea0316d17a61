"""The system under test: an API-side producer and a Worker-side consumer joined by one link.

The producer records task events through the real UnitOfWork (outbox); the consumer's Inbox runs
the real Worker task handlers, wrapped so every application is also appended to a log table.
The invariant every scenario checks: the log equals applying each produced event exactly once,
in version order per task, up to and including a delete.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, Integer, MetaData, String, Table, func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from kanban.api.tables import messaging as api_messaging
from kanban.contracts import events as ev
from kanban.contracts.base import Event
from kanban.contracts.envelope import Envelope
from kanban.db.engine import make_engine
from kanban.db.types import utcnow
from kanban.db.urls import DatabaseUrl
from kanban.messaging.backoff import Backoff
from kanban.messaging.inbox import Handler, Inbox, InboxConfig
from kanban.messaging.lease import Lease
from kanban.messaging.relay import Relay, RelayConfig
from kanban.messaging.transports.base import TransportError
from kanban.messaging.unit_of_work import UnitOfWork
from kanban.messaging.wakeup import Wakeup
from kanban.worker import tables as wt
from kanban.worker.snapshots.handlers import task_handlers
from tests.integration.messaging.links import CONSUMER, Link

FAST_INBOX = InboxConfig(
    max_attempts=4,
    gap_timeout_seconds=60.0,
    hold_recheck_seconds=0.05,
    poll_seconds=0.05,
    backoff=Backoff(base_seconds=0.01, max_seconds=0.02),
)
FAST_RELAY = RelayConfig(poll_seconds=0.05, backoff=Backoff(base_seconds=0.01, max_seconds=0.05))

_log_metadata = MetaData()
applied_log = Table(
    "conformance_applied",
    _log_metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("event_id", String(36), nullable=False),
    Column("aggregate_id", String(64), nullable=False),
    Column("version", Integer, nullable=True),
    Column("event_type", String(100), nullable=False),
)


class ConsumerCrashed(Exception):
    """Injected: the consumer died after committing to its inbox, before acknowledging."""


class HandlerFailed(Exception):
    """Injected: a handler failed after writing part of its effects."""


@dataclass
class Faults:
    crash_after_receive: int = 0
    crashes: int = 0
    fail_handler: dict[str, int] = field(default_factory=dict)  # event id -> failures left


@dataclass
class TaskModel:
    version: int = 0
    title: str = ""
    deleted: bool = False
    events: list[str] = field(default_factory=list)  # event ids in version order


def follows_history(applied: list[str], produced: list[str], deleted: bool) -> bool:
    """Applied events are produced ones, each once, in order; a delete wins, so it may come right after any prefix."""
    if applied == produced[: len(applied)]:
        return True
    return deleted and applied[-1:] == produced[-1:] and applied[:-1] == produced[: len(applied) - 1]


class Pair:
    def __init__(self, api_db: DatabaseUrl, worker_db: DatabaseUrl, link: Link, inbox_config: InboxConfig) -> None:
        self.link = link
        self.producer_engine: AsyncEngine = make_engine(api_db, "kt-producer")
        self.consumer_engine: AsyncEngine = make_engine(worker_db, "kt-consumer")
        self.producer_tables = api_messaging
        self.consumer_tables = wt.messaging
        self.faults = Faults()
        self.tasks: dict[str, TaskModel] = {}
        self.inbox = Inbox(
            CONSUMER,
            self.consumer_engine,
            self.consumer_tables,
            self._recording(task_handlers(debounce_seconds=0)),
            lambda: UnitOfWork(self.consumer_engine, self.consumer_tables, "worker"),
            inbox_config,
        )
        self._relays = itertools.count()
        self.relay = self.new_relay()

    # --- wiring ---------------------------------------------------------------------------

    async def start(self) -> None:
        async with self.consumer_engine.begin() as conn:
            await conn.run_sync(_log_metadata.create_all)
        await self.link.start(self.deliver)

    async def close(self) -> None:
        await self.link.close()
        await self.producer_engine.dispose()
        await self.consumer_engine.dispose()

    def new_relay(self) -> Relay:
        """A relay as a freshly started process would make it."""
        owner = f"relay-{next(self._relays)}"
        lease = Lease(self.producer_engine, self.producer_tables, "relay:api", owner, ttl_seconds=15)
        return Relay(self.producer_engine, self.producer_tables, self.link.producer, lease, Wakeup(), FAST_RELAY)

    async def deliver(self, envelopes: Sequence[Envelope]) -> None:
        await self.inbox.receive(envelopes)
        if self.faults.crash_after_receive > 0:
            self.faults.crash_after_receive -= 1
            self.faults.crashes += 1
            raise ConsumerCrashed("consumer died before acknowledging")

    def _recording(self, handlers: dict[str, Handler]) -> dict[str, Handler]:
        def wrap(inner: Handler) -> Handler:
            async def handle(event: Event, envelope: Envelope, uow: UnitOfWork) -> None:
                await uow.conn.execute(
                    applied_log.insert().values(
                        event_id=envelope.key,
                        aggregate_id=envelope.aggregate_id,
                        version=envelope.aggregate_version,
                        event_type=envelope.type,
                    )
                )
                await inner(event, envelope, uow)
                left = self.faults.fail_handler.get(envelope.key, 0)
                if left > 0:
                    self.faults.fail_handler[envelope.key] = left - 1
                    raise HandlerFailed(f"injected failure for {envelope.key}")

            return handle

        return {name: wrap(handler) for name, handler in handlers.items()}

    # --- producing ------------------------------------------------------------------------

    def _state(self, task_id: str, model: TaskModel) -> ev.TaskState:
        return ev.TaskState(
            task_id=task_id,
            board_id="board-1",
            owner_id="user-1",
            column_id="col-inbox",
            column_type="INPUT",
            title=model.title,
            version=model.version,
            updated_at=datetime(2026, 1, 1, tzinfo=UTC),
        )

    async def write(self, task_id: str, kind: str = "auto") -> Envelope:
        """Commit one change of a task with its event: created, updated or deleted."""
        model = self.tasks.setdefault(task_id, TaskModel())
        assert not model.deleted, f"{task_id} is deleted"
        if kind == "auto":
            kind = "created" if model.version == 0 else "updated"
        model.version += 1
        model.title = f"{task_id} v{model.version}"
        event: Event
        if kind == "created":
            event = ev.TaskCreatedV1(task=self._state(task_id, model))
        elif kind == "updated":
            event = ev.TaskUpdatedV1(task=self._state(task_id, model), changed_fields=("title",))
        else:
            event = ev.TaskDeletedV1(task_id=task_id, board_id="board-1")
            model.deleted = True
        async with UnitOfWork(self.producer_engine, self.producer_tables, "api") as uow:
            envelope = uow.record(event, aggregate_id=task_id, aggregate_version=model.version)
            await uow.commit()
        model.events.append(envelope.key)
        return envelope

    async def write_history(self, tasks: int = 3, updates: int = 3, delete_last: bool = True) -> None:
        for round_ in range(updates + 1):
            for n in range(tasks):
                await self.write(f"task-{n}")
            del round_
        if delete_last:
            await self.write(f"task-{tasks - 1}", "deleted")

    async def outbox_envelopes(self) -> list[Envelope]:
        outbox = self.producer_tables.outbox
        async with self.producer_engine.connect() as conn:
            rows = (await conn.execute(select(outbox.c.envelope).order_by(outbox.c.seq))).scalars().all()
        return [Envelope.model_validate_json(r) for r in rows]

    async def mark_all_sent(self) -> None:
        outbox = self.producer_tables.outbox
        async with self.producer_engine.begin() as conn:
            await conn.execute(update(outbox).where(outbox.c.sent_at.is_(None)).values(sent_at=utcnow()))

    # --- relaying and consuming -----------------------------------------------------------

    async def relay_all(self, relay: Relay | None = None) -> int:
        """Drain the outbox once through the link; raises when the transport fails."""
        relay = relay or self.relay
        total = 0
        while sent := await relay.relay_pending():
            total += sent
        return total

    async def relay_until_sent(self, attempts: int = 10) -> None:
        """What the relay loop does: retry a failed publish until the outbox is empty."""
        for _ in range(attempts):
            try:
                await self.relay_all()
                return
            except TransportError:
                continue
        raise AssertionError("the outbox did not drain")

    async def settle(self, timeout: float = 20.0, complete: bool = True) -> None:
        """Process the inbox until it holds nothing pending and (if `complete`) every task's last event applied."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            await self.inbox.process_available()
            if await self.inbox_pending() == 0 and (not complete or await self._complete()):
                return
            if loop.time() > deadline:
                return  # the caller's assertions say what is missing
            await asyncio.sleep(0.02)

    async def _complete(self) -> bool:
        applied = await self.applied()
        return all(applied.get(task_id, [None])[-1] == model.events[-1] for task_id, model in self.tasks.items())

    # --- observing ------------------------------------------------------------------------

    def expected(self) -> dict[str, list[str]]:
        return {task_id: list(model.events) for task_id, model in self.tasks.items()}

    async def applied(self) -> dict[str, list[str]]:
        async with self.consumer_engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(applied_log.c.aggregate_id, applied_log.c.event_id).order_by(applied_log.c.seq)
                )
            ).all()
        found: dict[str, list[str]] = {}
        for aggregate_id, event_id in rows:
            found.setdefault(aggregate_id, []).append(event_id)
        return found

    async def inbox_pending(self) -> int:
        inbox = self.consumer_tables.inbox
        async with self.consumer_engine.connect() as conn:
            return int(await conn.scalar(select(func.count()).where(inbox.c.status == "pending")) or 0)

    async def inbox_rows(self) -> dict[str, dict[str, Any]]:
        inbox = self.consumer_tables.inbox
        async with self.consumer_engine.connect() as conn:
            rows = (await conn.execute(select(inbox))).mappings().all()
        return {row["event_id"]: dict(row) for row in rows}

    async def snapshots(self) -> dict[str, dict[str, Any]]:
        async with self.consumer_engine.connect() as conn:
            rows = (await conn.execute(select(wt.task_snapshots))).mappings().all()
        return {row["task_id"]: dict(row) for row in rows}

    async def assert_applied_so_far_follows_history(self) -> None:
        """Mid-flight: each task's applied events are a prefix of its history (or that prefix plus its delete)."""
        for task_id, events in (await self.applied()).items():
            assert follows_history(events, self.tasks[task_id].events, self.tasks[task_id].deleted), task_id

    async def assert_exactly_once_in_order(self) -> None:
        """The invariant: the consumer's end state is each event applied once, in order."""
        applied, expected = await self.applied(), self.expected()
        assert applied.keys() == expected.keys()
        for task_id, model in self.tasks.items():
            if applied[task_id] != expected[task_id]:
                # Only a delete may overtake: what it made stale was skipped, and it came last.
                assert model.deleted and applied[task_id][-1] == model.events[-1], task_id
                assert follows_history(applied[task_id], model.events, deleted=True), task_id
        assert await self.inbox_pending() == 0
        snapshots = await self.snapshots()
        for task_id, model in self.tasks.items():
            snap = snapshots[task_id]
            if model.deleted:
                assert snap["deleted"] is True, task_id
            else:
                assert (snap["deleted"], snap["version"], snap["state"]["title"]) == (False, model.version, model.title)

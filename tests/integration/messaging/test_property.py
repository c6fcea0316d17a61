"""Random interleavings of writes, relaying, delivery, duplicates, drops, crashes and restarts.

Memory transport on SQLite. The transport's receiving end is a channel the machine controls: it
delivers any message at any time, redelivers, or fails a publish half-way. At every step each
task's applied events are a prefix of its produced events; once everything drains, the consumer's
state is each event applied exactly once, in order.
"""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import Coroutine, Sequence
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from kanban.contracts.envelope import Envelope
from kanban.db.urls import DatabaseUrl, parse_database_url
from kanban.messaging.backoff import Backoff
from kanban.messaging.inbox import Inbox, InboxConfig
from kanban.messaging.transports.base import Deliver, TransportError
from kanban.messaging.transports.memory import MemoryHub, MemoryTransport
from kanban.messaging.unit_of_work import UnitOfWork
from tests.integration.messaging.links import CONSUMER
from tests.integration.messaging.pair import Pair
from tests.support.databases import DatabaseFactory

T = TypeVar("T")

INBOX = InboxConfig(
    max_attempts=50,
    gap_timeout_seconds=3600.0,  # nothing is ever lost for good here, so a gap must never be skipped
    hold_recheck_seconds=0.0,
    poll_seconds=0.01,
    backoff=Backoff(base_seconds=0.001, max_seconds=0.002),
)
TASKS = ("task-a", "task-b")


class ChannelLink:
    """A memory link whose receiving end parks batches in a channel instead of delivering them."""

    def __init__(self) -> None:
        self.hub = MemoryHub()
        self.producer = MemoryTransport(self.hub)
        self.channel: list[Envelope] = []  # stored by the "broker", not yet acknowledged by the consumer
        self.fail_after: int | None = None

    async def start(self, deliver: Deliver) -> None:
        await MemoryTransport(self.hub).subscribe(CONSUMER, self._park)

    async def _park(self, envelopes: Sequence[Envelope]) -> None:
        if self.fail_after is not None:
            keep, self.fail_after = self.fail_after, None
            self.channel.extend(envelopes[:keep])
            raise ConnectionResetError("connection dropped half-way through the batch")
        self.channel.extend(envelopes)

    async def peer_down(self) -> None:
        self.hub.down.add(CONSUMER)

    async def peer_up(self) -> None:
        self.hub.down.discard(CONSUMER)

    async def close(self) -> None:
        return None


class EventFlow(RuleBasedStateMachine):
    templates: tuple[Path, Path]
    workdir: Path

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.link = ChannelLink()
        token = uuid.uuid4().hex[:8]
        api_db, worker_db = (self._copy(template, token) for template in self.templates)
        self.pair = Pair(api_db, worker_db, self.link, INBOX)  # type: ignore[arg-type]
        self.current_relay = self.pair.new_relay()
        self.delivered: list[Envelope] = []
        self.run(self.pair.start())

    def _copy(self, template: Path, token: str) -> DatabaseUrl:
        target = self.workdir / f"prop_{token}_{template.name}"
        shutil.copyfile(template, target)
        return parse_database_url(f"sqlite:///{target}")

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(coro)

    @initialize(history=st.lists(st.sampled_from(TASKS), min_size=1, max_size=6))
    def first_writes(self, history: list[str]) -> None:
        for task in history:
            self.run(self.pair.write(task))

    # --- the producer ---------------------------------------------------------------------

    @rule(task=st.sampled_from(TASKS), delete=st.sampled_from([False, False, False, True]))
    def write(self, task: str, delete: bool) -> None:
        model = self.pair.tasks.get(task)
        if model is not None and model.deleted:
            return
        kind = "deleted" if delete and model is not None else "auto"
        self.run(self.pair.write(task, kind))

    @rule(
        mode=st.sampled_from(["normal", "normal", "fails half-way", "crashes before marking sent"]),
        keep=st.integers(0, 3),
    )
    def relay(self, mode: str, keep: int) -> None:
        """One relay round; the batch may fail part-way, or the relay may die before marking it sent."""
        relay = self.current_relay
        if mode == "fails half-way":
            self.link.fail_after = keep
        elif mode == "crashes before marking sent":

            async def killed(_seqs: list[int]) -> None:
                raise RuntimeError("killed before marking sent")

            relay = self.pair.new_relay()
            relay._mark_sent = killed  # type: ignore[method-assign]
        try:
            self.run(relay.relay_pending())
        except (RuntimeError, TransportError):
            pass  # rows stay pending, as in the relay loop
        self.link.fail_after = None

    @rule()
    def peer_goes_down_or_up(self) -> None:
        if CONSUMER in self.link.hub.down:
            self.run(self.link.peer_up())
        else:
            self.run(self.link.peer_down())

    # --- the broker and the consumer ------------------------------------------------------

    @rule(data=st.data())
    def deliver(self, data: st.DataObject) -> None:
        """Deliver a few parked messages, picked in any order, and acknowledge them."""
        if not self.link.channel:
            return
        count = data.draw(st.integers(min_value=1, max_value=len(self.link.channel)))
        picked = sorted(data.draw(st.sets(st.integers(0, len(self.link.channel) - 1), min_size=1, max_size=count)))
        batch = [self.link.channel[i] for i in picked]
        self.run(self.pair.inbox.receive(batch))
        self.delivered.extend(batch)
        self.link.channel = [e for i, e in enumerate(self.link.channel) if i not in set(picked)]

    @rule(data=st.data())
    def deliver_one(self, data: st.DataObject) -> None:
        """Deliver any single parked message: the broker's order is not the producer's."""
        if self.link.channel:
            envelope = self.link.channel.pop(data.draw(st.integers(0, len(self.link.channel) - 1)))
            self.run(self.pair.inbox.receive([envelope]))
            self.delivered.append(envelope)

    @rule(data=st.data())
    def consumer_crashes_before_ack(self, data: st.DataObject) -> None:
        """The inbox commits a message but the ack is lost: it stays in the channel for redelivery."""
        if not self.link.channel:
            return
        index = data.draw(st.integers(0, len(self.link.channel) - 1))
        self.run(self.pair.inbox.receive([self.link.channel[index]]))

    @rule(data=st.data())
    def duplicate(self, data: st.DataObject) -> None:
        if self.delivered:
            self.link.channel.append(data.draw(st.sampled_from(self.delivered)))

    @rule(data=st.data())
    def handler_fails_once(self, data: st.DataObject) -> None:
        events = [key for model in self.pair.tasks.values() for key in model.events]
        self.pair.faults.fail_handler[data.draw(st.sampled_from(events))] = 1

    @rule()
    def process(self) -> None:
        self.run(self.pair.inbox.process_available())

    @rule()
    def consumer_restarts(self) -> None:
        old = self.pair.inbox
        self.pair.inbox = Inbox(
            CONSUMER,
            self.pair.consumer_engine,
            self.pair.consumer_tables,
            old._handlers,
            lambda: UnitOfWork(self.pair.consumer_engine, self.pair.consumer_tables, "worker"),
            INBOX,
        )

    # --- what must hold -------------------------------------------------------------------

    @invariant()
    def applied_so_far_follows_history(self) -> None:
        self.run(self.pair.assert_applied_so_far_follows_history())

    def teardown(self) -> None:
        try:
            self.run(self._drain())
            self.run(self.pair.assert_exactly_once_in_order())
        finally:
            self.run(self.pair.close())
            self.loop.close()

    async def _drain(self) -> None:
        await self.link.peer_up()
        self.link.fail_after = None
        self.pair.faults.fail_handler.clear()
        for _ in range(500):
            while await self.current_relay.relay_pending():
                pass
            batch, self.link.channel = self.link.channel, []
            await self.pair.inbox.receive(batch)
            await self.pair.inbox.process_available()
            if not self.link.channel and await self.pair.inbox_pending() == 0:
                return
            await asyncio.sleep(0.003)  # a retry's backoff has to pass


@pytest.fixture
async def sqlite_templates(database_factory: DatabaseFactory) -> tuple[Path, Path]:
    api, worker = await database_factory.create("api", "sqlite"), await database_factory.create("worker", "sqlite")
    return Path(api.database), Path(worker.database)


def test_any_interleaving_applies_each_event_once_in_order(sqlite_templates: tuple[Path, Path], tmp_path: Path) -> None:
    EventFlow.templates = sqlite_templates
    EventFlow.workdir = tmp_path
    run_state_machine_as_test(
        EventFlow,
        settings=settings(
            max_examples=40,
            stateful_step_count=40,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )

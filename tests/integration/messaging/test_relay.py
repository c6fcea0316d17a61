"""The relay: one active per database however many replicas run, pruning, and PostgreSQL wake-ups."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select, update

from kanban.api.tables import messaging as api_messaging
from kanban.contracts.envelope import Envelope
from kanban.contracts.events import TagCreatedV1, TagState
from kanban.db.engine import make_engine
from kanban.db.types import utcnow
from kanban.db.urls import DatabaseUrl
from kanban.messaging.backoff import Backoff
from kanban.messaging.inbox import LocalDelivery
from kanban.messaging.lease import Lease
from kanban.messaging.outbox import notify_channel
from kanban.messaging.relay import Relay, RelayConfig
from kanban.messaging.unit_of_work import UnitOfWork
from kanban.messaging.wakeup import PostgresListener, Wakeup

CONFIG = RelayConfig(batch_size=7, poll_seconds=0.02, backoff=Backoff(base_seconds=0.01, max_seconds=0.02))


class RecordingTransport:
    """Remembers every batch and who published it; fails loudly if two relays publish at once."""

    name = "recording"

    def __init__(self) -> None:
        self.published: list[tuple[str, str]] = []
        self._busy = False

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def subscribe(self, consumer: str, deliver: object) -> None: ...

    async def check(self) -> None: ...

    async def publish(self, destination: str, envelopes: Sequence[Envelope]) -> None:
        assert not self._busy, "two relays published at the same time"
        self._busy = True
        await asyncio.sleep(0.001)
        self.published += [(env.key, env.aggregate_id) for env in envelopes]
        self._busy = False


async def _record(engine, count: int) -> list[str]:  # type: ignore[no-untyped-def]
    ids = []
    for n in range(count):
        async with UnitOfWork(engine, api_messaging, "api") as uow:
            event = TagCreatedV1(tag=TagState(tag_id=str(uuid.uuid4()), board_id="b", name=f"t{n}", version=1))
            ids.append(uow.record(event, aggregate_id=event.tag.tag_id, aggregate_version=1).key)
            await uow.commit()
    return ids


async def test_only_the_lease_holder_publishes_and_another_takes_over(api_db: DatabaseUrl) -> None:
    engine = make_engine(api_db, "kanban-test")
    transport = RecordingTransport()
    relays = [
        Relay(engine, api_messaging, transport, Lease(engine, api_messaging, "relay:api", f"replica-{i}", 0.3), Wakeup(), CONFIG)
        for i in range(2)
    ]  # fmt: skip
    try:
        first = await _record(engine, 40)
        stops = [asyncio.Event(), asyncio.Event()]
        runs = [asyncio.create_task(r.run(s)) for r, s in zip(relays, stops, strict=True)]
        while len(transport.published) < len(first):
            await asyncio.sleep(0.02)
        stops[0].set()  # the first replica stops (and releases its lease); the other carries on
        await runs[0]
        second = await _record(engine, 20)
        while len(transport.published) < len(first) + len(second):
            await asyncio.sleep(0.02)
        stops[1].set()
        await runs[1]
    finally:
        await engine.dispose()
    published = [event_id for event_id, _ in transport.published]
    assert published == first + second  # each event once, in commit order


async def test_a_lease_is_held_by_one_owner_until_it_expires(api_db: DatabaseUrl) -> None:
    engine = make_engine(api_db, "kanban-test")
    try:
        # A long lease, so a slow machine cannot let it lapse between two steps; expiry is made explicit.
        a = Lease(engine, api_messaging, "relay:api", "a", ttl_seconds=300)
        b = Lease(engine, api_messaging, "relay:api", "b", ttl_seconds=300)
        assert await a.acquire() is True
        assert await b.acquire() is False
        assert await a.acquire() is True  # renewal
        leases = api_messaging.leases
        async with engine.begin() as conn:  # a stopped renewing and its lease ran out
            await conn.execute(
                leases.update().where(leases.c.name == "relay:api").values(expires_at=utcnow() - timedelta(seconds=1))
            )
        assert await b.acquire() is True  # b takes over
        assert await a.acquire() is False
    finally:
        await engine.dispose()


async def test_sent_rows_are_pruned_after_the_retention_and_pending_ones_kept(api_db: DatabaseUrl) -> None:
    engine = make_engine(api_db, "kanban-test")
    outbox = api_messaging.outbox
    relay = Relay(
        engine, api_messaging, RecordingTransport(), Lease(engine, api_messaging, "r", "me", 5), Wakeup(), CONFIG
    )
    try:
        await _record(engine, 10)
        await relay.relay_pending()
        await relay.relay_pending()
        await _record(engine, 3)  # not yet sent
        async with engine.begin() as conn:
            await conn.execute(
                update(outbox).where(outbox.c.sent_at.is_not(None)).values(sent_at=utcnow() - timedelta(days=30))
            )
        assert await relay.prune() == 10
        async with engine.connect() as conn:
            left = await conn.scalar(select(func.count()).select_from(outbox))
    finally:
        await engine.dispose()
    assert left == 3


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_a_commit_in_another_process_wakes_the_relay_through_notify(api_db: DatabaseUrl) -> None:
    """No polling involved: the NOTIFY sent with the outbox row sets the relay's wake-up."""
    wakeup = Wakeup()
    listener = PostgresListener(api_db, notify_channel("api"), wakeup)
    await listener.start()
    other_process_engine = make_engine(api_db, "kanban-other")
    try:
        assert not wakeup.pending()
        await _record(other_process_engine, 1)
        for _ in range(600):
            if wakeup.pending():
                break
            await asyncio.sleep(0.05)
        assert wakeup.pending(), "the NOTIFY of the commit never reached the listener"
    finally:
        await listener.close()
        await other_process_engine.dispose()


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_an_event_received_by_another_replica_wakes_the_inbox_processor(worker_db: DatabaseUrl) -> None:
    """Only the lease holder processes; a NOTIFY sent with the inbox insert wakes it wherever it runs."""
    from kanban.contracts.registry import envelope_for
    from kanban.messaging.inbox import Inbox
    from kanban.messaging.outbox import inbox_channel
    from kanban.worker import tables as wt

    wakeup = Wakeup()
    listener = PostgresListener(worker_db, inbox_channel("worker"), wakeup)
    await listener.start()
    receiving_replica = make_engine(worker_db, "kanban-other")
    try:
        inbox = Inbox(
            "worker", receiving_replica, wt.messaging, {}, lambda: UnitOfWork(receiving_replica, wt.messaging, "worker")
        )
        event = TagCreatedV1(tag=TagState(tag_id=str(uuid.uuid4()), board_id="b", name="n", version=1))
        await inbox.receive(
            [
                envelope_for(
                    event, source="api", aggregate_id=event.tag.tag_id, aggregate_version=1, correlation_id=uuid.uuid4()
                )
            ]
        )
        for _ in range(600):
            if wakeup.pending():
                break
            await asyncio.sleep(0.05)
        assert wakeup.pending(), "the NOTIFY of the receive never reached the processing replica"
    finally:
        await listener.close()
        await receiving_replica.dispose()


async def test_a_lease_renewed_a_moment_ago_is_not_written_again_until_its_renewal_is_due(
    api_db: DatabaseUrl, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(api_db, "kanban-test")
    leases = api_messaging.leases
    clock = {"now": utcnow()}
    monkeypatch.setattr("kanban.messaging.lease.utcnow", lambda: clock["now"])

    async def expiry() -> object:
        async with engine.connect() as conn:
            return await conn.scalar(select(leases.c.expires_at).where(leases.c.name == "relay:api"))

    try:
        a = Lease(engine, api_messaging, "relay:api", "a", ttl_seconds=15, renew_after_seconds=5)
        b = Lease(engine, api_messaging, "relay:api", "b", ttl_seconds=15)
        assert await a.acquire() is True
        first = await expiry()
        clock["now"] += timedelta(seconds=4)
        assert await a.acquire() is True
        assert await expiry() == first  # held, known without a write
        assert await b.acquire() is False
        clock["now"] += timedelta(seconds=2)
        assert await a.acquire() is True
        assert await expiry() != first  # renewed once its interval passed, well before the ttl ran out
        await a.release()
        assert await b.acquire() is True  # a released lease is free at once, whatever a remembered
        assert await a.acquire() is False
    finally:
        await engine.dispose()


@pytest.mark.parametrize("own_inbox", [False, True])
async def test_the_events_of_one_transaction_enter_the_outbox_in_the_order_recorded(
    api_db: DatabaseUrl, own_inbox: bool
) -> None:
    """One statement writes them all (on PostgreSQL with the own inbox's rows and the NOTIFYs); the
    relay publishes by sequence number, so the order recorded is the order the peer sees."""
    engine = make_engine(api_db, "kanban-test")
    local = LocalDelivery("own", api_messaging, frozenset({TagCreatedV1.TYPE}), Wakeup()) if own_inbox else None
    try:
        for count in (1, 5, 3):  # a different number of rows through the same statement
            async with UnitOfWork(engine, api_messaging, "api", local_delivery=local) as uow:
                recorded = [
                    uow.record(event, aggregate_id=event.tag.tag_id, aggregate_version=1).key
                    for event in (
                        TagCreatedV1(tag=TagState(tag_id=str(uuid.uuid4()), board_id="b", name=f"t{n}", version=1))
                        for n in range(count)
                    )
                ]
                await uow.commit()
            async with engine.connect() as conn:
                outbox = api_messaging.outbox
                stored = (
                    await conn.execute(select(outbox.c.event_id).order_by(outbox.c.seq.desc()).limit(count))
                ).scalars()
                assert list(reversed(list(stored))) == recorded
                inbox = api_messaging.inbox
                entered = (await conn.execute(select(inbox.c.event_id).where(inbox.c.event_id.in_(recorded)))).scalars()
                assert sorted(entered) == (sorted(recorded) if own_inbox else [])
    finally:
        await engine.dispose()


async def test_a_standby_asks_for_a_lease_once_per_renewal_interval_not_at_every_wakeup(
    api_db: DatabaseUrl, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(api_db, "kanban-test")
    clock = {"now": utcnow()}
    monkeypatch.setattr("kanban.messaging.lease.utcnow", lambda: clock["now"])
    asked = []
    event.listen(engine.sync_engine, "before_cursor_execute", lambda *args: asked.append(1))
    try:
        a = Lease(engine, api_messaging, "relay:api", "a", ttl_seconds=15, renew_after_seconds=5)
        b = Lease(engine, api_messaging, "relay:api", "b", ttl_seconds=15, renew_after_seconds=5)
        assert await a.acquire() is True
        assert await b.acquire() is False
        asked.clear()
        for _ in range(20):  # woken by every commit of every replica: answered from what b learnt
            assert await b.acquire() is False
        assert asked == []
        await a.release()
        clock["now"] += timedelta(seconds=3)
        assert await b.acquire() is False  # released, but b has not asked again yet
        clock["now"] += timedelta(seconds=2)
        assert await b.acquire() is True  # one interval after it last asked: it takes the free lease
        clock["now"] += timedelta(seconds=1)
        assert await a.acquire() is False

        # A holder that stopped renewing: the standby asks when the lease runs out, if that is sooner.
        c = Lease(engine, api_messaging, "relay:api", "c", ttl_seconds=15, renew_after_seconds=5)
        leases = api_messaging.leases
        async with engine.begin() as conn:
            await conn.execute(
                leases.update()
                .where(leases.c.name == "relay:api")
                .values(expires_at=clock["now"] + timedelta(seconds=1))
            )
        assert await c.acquire() is False
        clock["now"] += timedelta(seconds=2)
        assert await c.acquire() is True
    finally:
        await engine.dispose()

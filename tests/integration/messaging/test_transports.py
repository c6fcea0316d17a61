"""What only one transport does: NATS stream setup and broker dedupe; HTTP authentication; peers away."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence

import nats
import pytest

from kanban.contracts.envelope import Envelope
from kanban.messaging.transports.base import TransportRejected, TransportUnavailable
from kanban.messaging.transports.http import EVENTS_PATH, HttpTransport
from kanban.messaging.transports.nats import NatsTransport, delete_stream
from tests.integration.messaging.links import HttpLink, free_port


def envelope(aggregate_id: str = "task-1", version: int = 1) -> Envelope:
    return Envelope(
        type="task.deleted",
        version=1,
        source="api",
        correlation_id=uuid.uuid4(),
        aggregate_type="task",
        aggregate_id=aggregate_id,
        aggregate_version=version,
        payload={"task_id": aggregate_id, "board_id": "b"},
    )


@pytest.fixture
async def nats_names(nats_server: str) -> AsyncIterator[dict[str, str]]:
    token = uuid.uuid4().hex[:10]
    names = {"stream": f"KT_{token}", "subject_prefix": f"kt{token}"}
    yield names
    await delete_stream(nats_server, names["stream"])


@pytest.mark.nats
async def test_nats_creates_the_stream_and_the_broker_drops_a_republished_event(
    nats_server: str, nats_names: dict[str, str]
) -> None:
    producer = NatsTransport(nats_server, "api", **nats_names)
    await producer.start()
    try:
        batch = [envelope(f"task-{n}") for n in range(5)]
        await producer.publish("worker", batch)
        await producer.publish("worker", batch[:2])  # the relay crashed before marking these sent

        nc = await nats.connect(nats_server)
        info = await nc.jetstream().stream_info(nats_names["stream"])
        await nc.close()
    finally:
        await producer.close()

    assert info.config.subjects == [f"{nats_names['subject_prefix']}.>"]
    assert info.config.storage == "file"
    assert info.config.duplicate_window == 120
    assert info.state.messages == 5


@pytest.mark.nats
async def test_nats_acks_only_what_was_stored_and_redelivers_the_rest(
    nats_server: str, nats_names: dict[str, str]
) -> None:
    received: list[str] = []
    failures = {"left": 1}
    done = asyncio.Event()
    batch = [envelope("task-1", v) for v in range(1, 21)]

    async def deliver(envelopes: Sequence[Envelope]) -> None:
        if failures["left"]:
            failures["left"] -= 1
            raise RuntimeError("inbox database unavailable")
        received.extend(e.key for e in envelopes)
        if set(received) >= {e.key for e in batch}:
            done.set()

    producer = NatsTransport(nats_server, "api", **nats_names)
    consumer = NatsTransport(nats_server, "worker", **nats_names, nak_delay_seconds=0.05, fetch_timeout_seconds=0.2)
    await producer.start()
    await consumer.start()
    try:
        await consumer.subscribe("worker", deliver)
        await producer.publish("worker", batch)
        await asyncio.wait_for(done.wait(), 20)
    finally:
        await consumer.close()
        await producer.close()

    # The batch whose delivery failed came back; every event was stored exactly once.
    assert sorted(received) == sorted(e.key for e in batch)
    assert failures["left"] == 0


@pytest.mark.nats
async def test_nats_broker_unreachable_is_transport_unavailable() -> None:
    transport = NatsTransport(f"nats://127.0.0.1:{free_port()}", "api", connect_grace_seconds=0.2)
    await transport.start()
    try:
        with pytest.raises(TransportUnavailable):
            await transport.check()
        with pytest.raises(TransportUnavailable):
            await transport.publish("worker", [envelope()])
    finally:
        await transport.close()


async def test_http_wrong_secret_is_rejected_and_a_stopped_peer_is_unavailable() -> None:
    stored: list[Envelope] = []

    async def deliver(envelopes: Sequence[Envelope]) -> None:
        stored.extend(envelopes)

    link = HttpLink()
    await link.start(deliver)
    url = link.producer._url  # type: ignore[attr-defined]
    intruder = HttpTransport(url, "not-the-shared-secret")
    await intruder.start()
    try:
        with pytest.raises(TransportRejected):
            await intruder.publish("worker", [envelope()])
        await link.producer.check()
        await link.producer.publish("worker", [envelope()])
        await link.peer_down()
        with pytest.raises(TransportUnavailable):
            await link.producer.publish("worker", [envelope()])
        with pytest.raises(TransportUnavailable):
            await link.producer.check()
    finally:
        await intruder.close()
        await link.close()

    assert len(stored) == 1
    assert url.endswith(EVENTS_PATH)

"""The transport conformance suite: the same failure scenarios on memory, http and nats, SQLite and PostgreSQL.

Every scenario ends with the same invariant: the consumer's state is what applying each produced
event exactly once, in version order per task, gives.
"""

from __future__ import annotations

import random
import uuid

import pytest

from kanban.contracts.envelope import Envelope
from kanban.messaging.operations import list_dead_letters, outbox_status, replay_outbox
from kanban.messaging.transports.base import TransportError
from tests.integration.messaging.links import CONSUMER
from tests.integration.messaging.pair import Pair


async def test_crash_after_commit_before_publish_leaves_events_for_the_next_relay(pair: Pair) -> None:
    await pair.write_history(tasks=3, updates=2)
    # The process dies here: the changes are committed, nothing was published.
    assert (await outbox_status(pair.producer_engine, pair.producer_tables)).pending == 10
    assert await pair.applied() == {}

    sent = await pair.relay_all(pair.new_relay())
    await pair.settle()

    assert sent == 10
    assert (await outbox_status(pair.producer_engine, pair.producer_tables)).pending == 0
    await pair.assert_exactly_once_in_order()


async def test_crash_after_publish_before_marking_sent_republishes_as_a_no_op(
    pair: Pair, monkeypatch: pytest.MonkeyPatch
) -> None:
    await pair.write_history(tasks=2, updates=2)
    first = pair.new_relay()

    async def die(_seqs: list[int]) -> None:
        raise RuntimeError("relay process killed before marking the rows sent")

    monkeypatch.setattr(first, "_mark_sent", die)
    with pytest.raises(RuntimeError):
        await pair.relay_all(first)
    assert (await outbox_status(pair.producer_engine, pair.producer_tables)).pending == 7

    await pair.relay_all(pair.new_relay())
    await pair.settle()

    await pair.assert_exactly_once_in_order()
    assert len(await pair.inbox_rows()) == 7


async def test_consumer_crash_after_inbox_commit_before_ack_redelivers_as_a_no_op(pair: Pair) -> None:
    await pair.write_history(tasks=2, updates=1)
    pair.faults.crash_after_receive = 1

    await pair.relay_until_sent()
    await pair.settle()

    assert pair.faults.crashes == 1
    await pair.assert_exactly_once_in_order()
    assert len(await pair.inbox_rows()) == 5


async def test_handler_failure_rolls_back_and_the_retry_applies_once(pair: Pair) -> None:
    await pair.write("task-a")
    second = await pair.write("task-a")
    await pair.write("task-a")
    await pair.write("task-b")
    pair.faults.fail_handler[second.key] = 2  # fails after writing its snapshot and log row

    await pair.relay_all()
    await pair.settle()

    await pair.assert_exactly_once_in_order()
    row = (await pair.inbox_rows())[second.key]
    assert (row["status"], row["attempts"]) == ("processed", 2)
    assert "injected failure" in row["last_error"]


async def test_the_same_events_delivered_three_times_apply_once(pair: Pair) -> None:
    await pair.write_history(tasks=2, updates=2)
    envelopes = await pair.outbox_envelopes()

    for _ in range(3):
        await pair.link.producer.publish(CONSUMER, envelopes)
    await pair.relay_all()
    await pair.settle()

    await pair.assert_exactly_once_in_order()
    assert len(await pair.inbox_rows()) == len(envelopes)


async def test_a_shuffled_batch_applies_in_version_order_and_holds_on_a_gap(pair: Pair) -> None:
    await pair.write_history(tasks=3, updates=4, delete_last=False)
    envelopes = await pair.outbox_envelopes()
    missing = next(e for e in envelopes if e.aggregate_id == "task-0" and e.aggregate_version == 3)
    shuffled = [e for e in envelopes if e is not missing]
    random.Random(7).shuffle(shuffled)
    await pair.mark_all_sent()

    await pair.link.producer.publish(CONSUMER, shuffled)
    expected = pair.expected()
    partial = {**expected, "task-0": expected["task-0"][:2]}
    for _ in range(200):
        await pair.inbox.process_available()
        if await pair.applied() == partial:
            break
    await pair.inbox.process_available()

    # task-0 waits at version 2 for version 3; the other tasks are complete.
    assert await pair.applied() == partial
    assert await pair.inbox_pending() == 2

    await pair.link.producer.publish(CONSUMER, [missing])
    await pair.settle()
    await pair.assert_exactly_once_in_order()


def _poison(type_: str, aggregate_id: str, version: int | None, payload: dict[str, object]) -> Envelope:
    return Envelope(
        type=type_,
        version=1,
        source="api",
        correlation_id=uuid.uuid4(),
        aggregate_type="task",
        aggregate_id=aggregate_id,
        aggregate_version=version,
        payload=payload,
    )


async def test_poison_events_are_dead_lettered_and_other_tasks_carry_on(pair: Pair) -> None:
    await pair.write_history(tasks=2, updates=1, delete_last=False)
    await pair.write("task-c")
    unknown = _poison("task.exploded", "task-x", 1, {"boom": True})
    malformed = _poison("task.updated", "task-c", 2, {"nonsense": 1})

    await pair.link.producer.publish(CONSUMER, [unknown, malformed])
    await pair.relay_all()
    await pair.write("task-0")
    await pair.relay_all()
    await pair.settle()

    await pair.assert_exactly_once_in_order()
    dead = await list_dead_letters(pair.consumer_engine, pair.consumer_tables)
    assert {(d.event_id, d.event_type) for d in dead} == {
        (unknown.key, "task.exploded"),
        (malformed.key, "task.updated"),
    }
    assert all(d.error for d in dead)


async def test_peer_down_keeps_the_producer_committing_and_the_backlog_drains_in_order(pair: Pair) -> None:
    await pair.write_history(tasks=2, updates=0, delete_last=False)
    await pair.relay_all()
    await pair.settle()

    await pair.link.peer_down()
    for round_ in range(3):
        for task_id in ("task-0", "task-1", "task-2"):
            await pair.write(task_id)
        try:
            await pair.relay_all()
        except TransportError:
            pass  # the relay backs off; the outbox holds the events
        del round_
    await pair.write("task-1", "deleted")
    pending = (await outbox_status(pair.producer_engine, pair.producer_tables)).pending

    await pair.link.peer_up()
    await pair.relay_until_sent()
    await pair.settle()

    assert pending >= 1  # the last change at least waited in the outbox
    assert (await outbox_status(pair.producer_engine, pair.producer_tables)).pending == 0
    await pair.assert_exactly_once_in_order()


async def test_replaying_a_range_of_the_outbox_is_a_no_op_for_the_consumer(pair: Pair) -> None:
    await pair.write_history(tasks=2, updates=2)
    await pair.relay_all()
    await pair.settle()
    before = await pair.snapshots()

    result = await replay_outbox(pair.producer_engine, pair.producer_tables, from_seq=2, to_seq=5)
    assert result.marked == 4
    assert (await outbox_status(pair.producer_engine, pair.producer_tables)).pending == 4
    await pair.relay_all()
    await pair.settle()

    await pair.assert_exactly_once_in_order()
    assert len(await pair.inbox_rows()) == 7
    assert await pair.snapshots() == before

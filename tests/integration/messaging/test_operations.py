"""Operator queries on both backends: status, dead letters (list, retry, drop), replay, metrics."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import delete, update

from kanban.contracts.envelope import Envelope
from kanban.db.types import utcnow
from kanban.db.urls import DatabaseUrl
from kanban.messaging.metrics import refresh_event_metrics
from kanban.messaging.operations import (
    drop_dead_letters,
    events_status,
    list_dead_letters,
    replay_outbox,
    retry_dead_letters,
)
from tests.integration.messaging.links import CONSUMER, MemoryLink
from tests.integration.messaging.pair import FAST_INBOX, Pair


@pytest.fixture
async def pair(api_db: DatabaseUrl, worker_db: DatabaseUrl) -> AsyncIterator[Pair]:
    running = Pair(api_db, worker_db, MemoryLink(), FAST_INBOX)
    await running.start()
    yield running
    await running.close()


def malformed_update(task_id: str, version: int) -> Envelope:
    return Envelope(
        type="task.updated",
        version=1,
        source="api",
        correlation_id=uuid.uuid4(),
        aggregate_type="task",
        aggregate_id=task_id,
        aggregate_version=version,
        payload={"title": 42},
    )


async def test_status_shows_the_outbox_backlog_and_the_inbox_of_each_consumer(pair: Pair) -> None:
    await pair.write_history(tasks=2, updates=1, delete_last=False)
    await pair.relay_all()
    await pair.write("task-0")
    poison = malformed_update("task-9", 1)
    await pair.link.producer.publish(CONSUMER, [poison])
    await pair.settle(complete=False)
    await pair.inbox.receive([(await pair.outbox_envelopes())[-1]])
    async with pair.consumer_engine.begin() as conn:  # that received event has waited a minute
        await conn.execute(
            update(pair.consumer_tables.inbox)
            .where(pair.consumer_tables.inbox.c.status == "pending")
            .values(received_at=utcnow() - timedelta(seconds=60), next_attempt_at=utcnow() + timedelta(hours=1))
        )

    api = await events_status(pair.producer_engine, pair.producer_tables, "api")
    worker = await events_status(pair.consumer_engine, pair.consumer_tables, "worker")

    assert (api.outbox.pending, api.outbox.first_kept_seq, api.outbox.last_seq) == (1, 1, 5)
    assert api.consumers == ()
    assert worker.outbox.pending == 0
    [consumer] = worker.consumers
    assert (consumer.consumer, consumer.pending, consumer.processed, consumer.dead_letters) == ("worker", 1, 4, 1)
    assert consumer.oldest_pending_age_seconds >= 60


async def test_retry_puts_a_dead_letter_back_in_the_inbox_and_it_applies_once_fixed(pair: Pair) -> None:
    created = await pair.write("task-a")
    await pair.relay_all()
    pair.faults.fail_handler[created.key] = FAST_INBOX.max_attempts  # fails every attempt
    await pair.settle(complete=False)
    [dead] = await list_dead_letters(pair.consumer_engine, pair.consumer_tables)
    assert (dead.event_id, dead.attempts, dead.event_type) == (created.key, FAST_INBOX.max_attempts, "task.created")
    assert "injected failure" in dead.error

    retried = await retry_dead_letters(pair.consumer_engine, pair.consumer_tables, [created.key])
    row = (await pair.inbox_rows())[created.key]
    assert (retried, row["status"], row["attempts"]) == (1, "pending", 0)
    assert await list_dead_letters(pair.consumer_engine, pair.consumer_tables) == []
    await pair.settle()

    await pair.assert_exactly_once_in_order()


async def test_drop_forgets_dead_letters_and_a_redelivery_stays_a_no_op(pair: Pair) -> None:
    await pair.write("task-a")
    poisons = [malformed_update("task-x", 1), malformed_update("task-y", 1)]
    await pair.link.producer.publish(CONSUMER, poisons)
    await pair.relay_all()
    await pair.settle()
    assert len(await list_dead_letters(pair.consumer_engine, pair.consumer_tables)) == 2

    assert await drop_dead_letters(pair.consumer_engine, pair.consumer_tables, [poisons[0].key]) == 1
    assert [d.event_id for d in await list_dead_letters(pair.consumer_engine, pair.consumer_tables)] == [poisons[1].key]
    assert await drop_dead_letters(pair.consumer_engine, pair.consumer_tables, None) == 1
    await pair.link.producer.publish(CONSUMER, poisons)
    await pair.settle()

    assert await list_dead_letters(pair.consumer_engine, pair.consumer_tables) == []
    assert {
        row["status"] for key, row in (await pair.inbox_rows()).items() if key != pair.tasks["task-a"].events[0]
    } == {"dead"}
    await pair.assert_exactly_once_in_order()


async def test_replay_marks_only_published_rows_and_tells_when_some_were_pruned(pair: Pair) -> None:
    await pair.write_history(tasks=2, updates=2, delete_last=False)
    await pair.relay_all()
    await pair.write("task-0")  # seq 7, still pending
    async with pair.producer_engine.begin() as conn:  # retention deleted seq 1 and 2
        await conn.execute(delete(pair.producer_tables.outbox).where(pair.producer_tables.outbox.c.seq <= 2))

    result = await replay_outbox(pair.producer_engine, pair.producer_tables, from_seq=1, to_seq=5)

    assert (result.marked, result.first_kept_seq, result.last_seq) == (3, 3, 7)
    assert result.pruned_before(1) and not result.pruned_before(3)
    status = await events_status(pair.producer_engine, pair.producer_tables, "api")
    assert status.outbox.pending == 4


async def test_metrics_gauges_follow_the_database_and_counters_the_flow(pair: Pair) -> None:
    def sample(name: str, **labels: str) -> float:
        return REGISTRY.get_sample_value(name, labels) or 0.0

    published = sample("kanban_events_published_total", source="api", destination="worker")
    applied = sample("kanban_events_applied_total", consumer="worker", outcome="processed")
    await pair.write_history(tasks=2, updates=0, delete_last=False)
    await refresh_event_metrics(pair.producer_engine, pair.producer_tables, "api")
    assert sample("kanban_outbox_pending", service="api") == 2

    await pair.relay_all()
    await pair.settle()
    await refresh_event_metrics(pair.producer_engine, pair.producer_tables, "api")
    await refresh_event_metrics(pair.consumer_engine, pair.consumer_tables, "worker")

    assert sample("kanban_outbox_pending", service="api") == 0
    assert sample("kanban_inbox_pending", service="worker", consumer="worker") == 0
    assert sample("kanban_dead_letters", service="worker", consumer="worker") == 0
    assert sample("kanban_events_published_total", source="api", destination="worker") - published == 2
    assert sample("kanban_events_applied_total", consumer="worker", outcome="processed") - applied == 2

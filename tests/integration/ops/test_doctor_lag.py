"""The doctor's event-lag check fails on dead letters and on events stuck too long, naming the figures."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kanban.db.engine import make_engine
from kanban.db.types import utcnow
from kanban.db.urls import DatabaseUrl
from kanban.ops.doctor import LAG_LIMIT_SECONDS, check_event_lag
from kanban.worker import tables as wt


async def _insert(db: DatabaseUrl, table, **values) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(db, "kanban-test")
    try:
        async with engine.begin() as conn:
            await conn.execute(table.insert().values(**values))
    finally:
        await engine.dispose()


async def test_a_quiet_bridge_passes(worker_db: DatabaseUrl) -> None:
    assert "0 dead letter(s)" in await check_event_lag(worker_db, wt.messaging, "worker")


async def test_a_dead_letter_fails_the_check(worker_db: DatabaseUrl) -> None:
    await _insert(
        worker_db, wt.messaging.dead_letters, consumer="worker", event_id="e1", event_type="task.created",
        aggregate_id="t1", envelope="{}", error="boom", attempts=8, dead_at=utcnow(),
    )  # fmt: skip
    with pytest.raises(AssertionError, match="1 dead letter"):
        await check_event_lag(worker_db, wt.messaging, "worker")


async def test_an_event_waiting_too_long_in_the_outbox_fails_the_check(worker_db: DatabaseUrl) -> None:
    old = utcnow() - timedelta(seconds=LAG_LIMIT_SECONDS * 2)
    await _insert(
        worker_db, wt.messaging.outbox, event_id="e2", event_type="hints.proposed", destination="api",
        aggregate_id="t2", envelope="{}", created_at=old,
    )  # fmt: skip
    with pytest.raises(AssertionError, match="waiting longer"):
        await check_event_lag(worker_db, wt.messaging, "worker")

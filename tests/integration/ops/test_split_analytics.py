"""A legacy database split by `kanban migrate` gives sensible flow metrics.

The legacy log has no column types: the split records each event's column types from the
columns as they are at split time, and tasks with no placement in the log fall back to their
row (arrival at created_at, current column since last_moved_at).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import func, select

from kanban.api import tables as api
from kanban.api.analytics import handlers
from kanban.db.engine import make_engine
from kanban.db.urls import DatabaseUrl
from kanban.ops.migrate.progress import SilentProgress
from kanban.ops.migrate.split import SplitOptions, split
from tests.integration.ops.conftest import make_legacy
from tests.support.databases import DatabaseFactory


async def test_split_history_gives_sensible_metrics(
    database_factory: DatabaseFactory, targets: tuple[DatabaseUrl, DatabaseUrl], tmp_path: Path
) -> None:
    legacy = await make_legacy(database_factory, "single", tasks=150)
    api_db, worker_db = targets
    await split(SplitOptions(legacy.url, api_db, worker_db, backup=tmp_path / "legacy.dump"), SilentProgress())
    engine = make_engine(api_db, "kanban-test")
    try:
        async with engine.connect() as conn:
            e, c = api.task_events, api.columns
            mistyped = await conn.execute(
                select(func.count())
                .select_from(e.join(c, c.c.id == e.c.to_column_id))
                .where(e.c.to_column_type.is_distinct_from(c.c.type))
            )
            assert mistyped.scalar_one() == 0
            assert (await conn.execute(select(func.count()).where(e.c.to_column_type.is_not(None)))).scalar_one() > 0
            board_id, owner_id, n_tasks = (
                await conn.execute(
                    select(api.tasks.c.board_id, api.tasks.c.owner_id, func.count())
                    .group_by(api.tasks.c.board_id, api.tasks.c.owner_id)
                    .order_by(func.count().desc())
                    .limit(1)
                )
            ).one()
            by_type = dict(
                (
                    await conn.execute(
                        select(c.c.type, func.count())
                        .select_from(api.tasks.join(c, c.c.id == api.tasks.c.column_id))
                        .where(api.tasks.c.board_id == board_id)
                        .group_by(c.c.type)
                    )
                ).all()
            )
            h = await handlers.load_history(conn, owner_id, board_id, date(2024, 1, 1), date(2025, 2, 28))
    finally:
        await engine.dispose()
    days = handlers.cfd(h).days
    for stage in ("arrived", "committed", "done"):
        series = [getattr(d, stage) for d in days]
        assert series == sorted(series), stage  # never decreasing
    last = days[-1]
    assert last.arrived == n_tasks and last.discarded == last.trashed == 0
    # Done is exactly the tasks in Done columns (legacy Archive rows were never seen leaving work).
    assert last.done == by_type.get("DONE", 0)
    cycle = handlers.cycle_time(h)
    assert cycle.cycle_time.n == last.done and all(i.cycle_time_days >= 1 for i in cycle.items)
    assert all(i.lead_time_days >= i.cycle_time_days for i in cycle.items)
    aging = handlers.aging(h)
    assert len(aging.items) == by_type.get("CONTEXT", 0) + by_type.get("WAITING", 0)
    assert sum(b.finished for b in handlers.throughput(h, "week").buckets) == last.done

"""Rules migrated by `kanban migrate split` run: the legacy cron schedule moves stale tasks, as it was meant to."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select, update

from kanban.api.app import create_app
from kanban.api.rules.scheduler import run_time_triggers
from kanban.api.tables import columns, rule_runs, rules, task_events, tasks
from kanban.db.types import utcnow
from kanban.db.urls import DatabaseUrl
from kanban.messaging.transports.memory import MemoryHub
from kanban.ops.migrate.progress import SilentProgress
from kanban.ops.migrate.split import SplitOptions, split
from tests.integration.ops.conftest import make_legacy
from tests.support.databases import DatabaseFactory
from tests.support.settings import settings_for


async def test_migrated_rules_run(
    database_factory: DatabaseFactory, targets: tuple[DatabaseUrl, DatabaseUrl], tmp_path: Path
) -> None:
    legacy = await make_legacy(database_factory, "single", tasks=60)
    api_db, worker_db = targets
    await split(SplitOptions(legacy.url, api_db, worker_db, backup=tmp_path / "legacy.dump"), SilentProgress())

    app = create_app(settings_for("api", api_db, None), hub=MemoryHub())
    async with app.router.lifespan_context(app):
        services = app.state.services
        now = utcnow()
        await run_time_triggers(services.engine, services.messaging.new_unit_of_work, now=now)
        async with services.engine.begin() as conn:
            migrated = (await conn.execute(select(rules.c.id, rules.c.next_run_at))).all()
            assert migrated and all(r.next_run_at is not None for r in migrated)  # the cron became an RRULE
            await conn.execute(update(rules).values(next_run_at=now - timedelta(minutes=1)))
            stale_before = (
                (
                    await conn.execute(
                        select(tasks.c.id)
                        .join(columns, columns.c.id == tasks.c.column_id)
                        # Stale: not moved for the board's stale_after_days (at least a day) and not resting.
                        .where(
                            columns.c.type.not_in(["DONE", "ARCHIVE", "SOMEDAY"]),
                            tasks.c.last_moved_at < now - timedelta(days=1),
                        )
                    )
                )
                .scalars()
                .all()
            )
        await run_time_triggers(services.engine, services.messaging.new_unit_of_work, now=now)
        async with services.engine.connect() as conn:
            statuses = (await conn.execute(select(rule_runs.c.status))).scalars().all()
            moved = (
                await conn.execute(
                    select(task_events.c.task_id, columns.c.type)
                    .join(columns, columns.c.id == task_events.c.to_column_id)
                    .where(task_events.c.triggered_by.like("rule:%"))
                )
            ).all()
    assert "applied" in statuses
    assert moved and {t for _, t in moved} == {"SOMEDAY"}
    assert {task_id for task_id, _ in moved} <= set(stale_before)

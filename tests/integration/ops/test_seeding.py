"""After a split, starting the services is all it takes: the API's relay seeds the Worker's read model."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from kanban.api import tables as api_tables
from kanban.api.app import create_app
from kanban.db.urls import DatabaseUrl
from kanban.messaging.transports.memory import MemoryHub
from kanban.ops.migrate.progress import SilentProgress
from kanban.ops.migrate.split import SplitOptions, split
from kanban.worker import tables as wt
from kanban.worker.bootstrap import build_worker_services
from tests.integration.ops.conftest import make_legacy
from tests.support.databases import DatabaseFactory
from tests.support.settings import settings_for


async def _made_by_templates(app: Any) -> int:
    events = api_tables.task_events
    async with app.state.services.engine.connect() as conn:
        made = await conn.scalar(
            select(func.count())
            .select_from(events)
            .where(events.c.type == "created", events.c.triggered_by.like("template:%"))
        )
    return int(made or 0)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_started_services_build_the_workers_read_model_from_the_seeding_events(
    database_factory: DatabaseFactory, targets: tuple[DatabaseUrl, DatabaseUrl], tmp_path: Path
) -> None:
    legacy = await make_legacy(database_factory, "consolidated", tasks=150)
    api_db, worker_db = targets
    await split(SplitOptions(legacy.url, api_db, worker_db, backup=tmp_path / "b.dump"), SilentProgress())
    rows = legacy.facts.rows
    expected = {
        wt.task_snapshots: rows["Task"],
        wt.board_snapshots: rows["Board"],
        wt.project_snapshots: rows["Project"],
        wt.tag_snapshots: rows["Tag"] - legacy.facts.case_duplicate_tags,
    }

    hub = MemoryHub()
    app = create_app(settings_for("api", api_db, worker_db), hub=hub)
    worker = build_worker_services(settings_for("worker", api_db, worker_db), hub=hub)
    async with app.router.lifespan_context(app):
        await worker.messaging.start()
        try:
            for _ in range(3000):
                # Migrated templates already due create their catch-up occurrence when the API starts.
                expected[wt.task_snapshots] = rows["Task"] + await _made_by_templates(app)
                counts = {}
                async with worker.engine.connect() as conn:
                    for table in expected:
                        counts[table] = (await conn.execute(select(func.count()).select_from(table))).scalar_one()
                if counts == expected:
                    break
                await asyncio.sleep(0.02)
        finally:
            await worker.messaging.stop()
            await worker.engine.dispose()

    assert {t.name: n for t, n in counts.items()} == {t.name: n for t, n in expected.items()}

"""Both schemas upgrade to head and downgrade to nothing, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import inspect

from kanban.db import migrations
from kanban.db.engine import make_engine
from tests.support.databases import SCRIPT_LOCATIONS, DatabaseFactory

EXPECTED = {
    "api": {
        "users",
        "boards",
        "columns",
        "projects",
        "tasks",
        "checklist_items",
        "tags",
        "task_tags",
        "task_events",
        "rules",
        "recurring_templates",
        "hints",
        "email_action_tokens",
        "outbox",
        "inbox",
    },
    "worker": {"agent_jobs", "agent_results", "hint_drafts", "task_snapshots", "agent_memory", "outbox", "inbox"},
}


async def _tables(db) -> set[str]:  # type: ignore[no-untyped-def]
    engine = make_engine(db, "kanban-test")
    try:
        async with engine.connect() as conn:
            return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
    finally:
        await engine.dispose()


@pytest.mark.parametrize("service", ["api", "worker"])
async def test_upgrade_then_downgrade_round_trips(
    database_factory: DatabaseFactory, backend: str, service: str
) -> None:
    db = await database_factory.create(service, backend, migrated=False)
    location = SCRIPT_LOCATIONS[service]

    await asyncio.to_thread(migrations.upgrade, location, db)
    assert await migrations.current(db) == migrations.head(location)
    assert EXPECTED[service] <= await _tables(db)

    await asyncio.to_thread(migrations.downgrade, location, db)
    assert await migrations.current(db) is None
    assert await _tables(db) <= {"alembic_version"}

    await asyncio.to_thread(migrations.upgrade, location, db)
    assert await migrations.current(db) == migrations.head(location)


async def test_boolean_defaults_read_back_false(api_db) -> None:  # type: ignore[no-untyped-def]
    """A row that relies on a boolean column's default reads back False on both backends."""
    from sqlalchemy import select

    from kanban.api.tables import boards, columns, tasks, users
    from kanban.db.types import utcnow

    engine = make_engine(api_db, "kanban-test")
    now = utcnow()
    try:
        async with engine.begin() as conn:
            await conn.execute(users.insert().values(id="u", email="u@x.test", created_at=now, updated_at=now))
            await conn.execute(
                boards.insert().values(id="b", owner_id="u", name="B", config={}, created_at=now, updated_at=now)
            )
            await conn.execute(
                columns.insert().values(
                    id="c", board_id="b", name="In", type="INPUT", position=0, created_at=now, updated_at=now
                )
            )
            await conn.execute(
                tasks.insert().values(
                    id="t",
                    board_id="b",
                    column_id="c",
                    owner_id="u",
                    title="T",
                    position=0,
                    created_at=now,
                    updated_at=now,
                    last_moved_at=now,
                )
            )
            row = (await conn.execute(select(tasks.c.is_done, tasks.c.needs_breakdown, tasks.c.wip_override))).one()
    finally:
        await engine.dispose()
    assert tuple(row) == (False, False, False)


@pytest.mark.parametrize("service", ["api", "worker"])
async def test_the_migration_history_matches_the_table_definitions(
    database_factory: DatabaseFactory, backend: str, service: str
) -> None:
    """Nothing in tables.py is missing from the migrations (a change without its revision fails here)."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from kanban.api.tables import metadata as api_metadata
    from kanban.worker.tables import metadata as worker_metadata

    metadata = {"api": api_metadata, "worker": worker_metadata}[service]
    db = await database_factory.create(service, backend)
    engine = make_engine(db, "kanban-test")
    try:
        async with engine.connect() as conn:
            diff = await conn.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync, opts={"compare_type": False}), metadata)
            )
    finally:
        await engine.dispose()
    assert diff == []

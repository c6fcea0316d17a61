"""Legacy source databases (PostgreSQL, either layout) and empty target databases for the migration tests."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from kanban.db.urls import DatabaseUrl
from tests.fixtures.legacy.generate import LegacyFacts, build_legacy_database
from tests.support.databases import DatabaseFactory
from tests.support.servers import postgres_reachable, require


@dataclass(frozen=True)
class Legacy:
    url: DatabaseUrl
    facts: LegacyFacts


async def make_legacy(factory: DatabaseFactory, layout: str, tasks: int = 1000, invalid: bool = False) -> Legacy:
    require("PostgreSQL", postgres_reachable())
    db = await factory.create("legacy", "postgres", migrated=False)
    facts = await build_legacy_database(db.libpq_dsn, layout=layout, tasks=tasks, invalid=invalid)
    return Legacy(db, facts)


@pytest.fixture(params=["single", "consolidated"])
async def legacy(request: pytest.FixtureRequest, database_factory: DatabaseFactory) -> Legacy:
    return await make_legacy(database_factory, request.param)


@pytest.fixture
async def targets(database_factory: DatabaseFactory, backend: str) -> tuple[DatabaseUrl, DatabaseUrl]:
    """Empty, unmigrated API and Worker databases on the test's backend: split brings them to head."""
    return (
        await database_factory.create("api", backend, migrated=False),
        await database_factory.create("worker", backend, migrated=False),
    )

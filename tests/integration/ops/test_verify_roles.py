"""verify checks that each service's role is refused by the other service's database."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from kanban.db.urls import DatabaseUrl
from kanban.ops.migrate.verify import verify
from tests.support.databases import DatabaseFactory, pg_admin
from tests.support.servers import postgres_reachable, require


@pytest.fixture
async def role_urls(database_factory: DatabaseFactory) -> AsyncIterator[tuple[DatabaseUrl, DatabaseUrl]]:
    """Two databases at head, each reachable only by its own new role (as `kanban db provision` sets them up)."""
    require("PostgreSQL", postgres_reachable())
    token = uuid.uuid4().hex[:8]
    urls = []
    for service in ("api", "worker"):
        db = await database_factory.create(service, "postgres")
        role = f"kt_{token}_{service}"
        await pg_admin(f'CREATE ROLE "{role}" LOGIN; REVOKE CONNECT ON DATABASE "{db.database}" FROM PUBLIC; '
                       f'GRANT CONNECT ON DATABASE "{db.database}" TO "{role}"')  # fmt: skip
        await _in(db, f'GRANT USAGE ON SCHEMA public TO "{role}"; GRANT ALL ON ALL TABLES IN SCHEMA public TO "{role}"; '
                         f'GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO "{role}"')  # fmt: skip
        urls.append(DatabaseUrl(db.url.set(username=role)))
    yield urls[0], urls[1]
    for url in urls:
        await _in(DatabaseUrl(url.url.set(username="postgres")), f'DROP OWNED BY "{url.url.username}"')
        await pg_admin(f'DROP ROLE "{url.url.username}"')


async def _in(db: DatabaseUrl, sql: str) -> None:
    conn = await asyncpg.connect(db.libpq_dsn)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.mark.postgres
async def test_each_role_is_refused_by_the_other_database(role_urls: tuple[DatabaseUrl, DatabaseUrl]) -> None:
    api_db, worker_db = role_urls
    source = DatabaseUrl(api_db.url.set(database="kanban_legacy_not_there"))

    checks = {c.label: c for c in await verify(source, api_db, worker_db)}

    assert checks[f"role {api_db.url.username} cannot connect to {worker_db.database}"].ok
    assert checks[f"role {worker_db.url.username} cannot connect to {api_db.database}"].ok
    assert checks["api database can read and write"].ok and checks["worker database can read and write"].ok

    await pg_admin(f'GRANT CONNECT ON DATABASE "{worker_db.database}" TO PUBLIC')
    leaky = {c.label: c for c in await verify(source, api_db, worker_db)}
    assert not leaky[f"role {api_db.url.username} cannot connect to {worker_db.database}"].ok

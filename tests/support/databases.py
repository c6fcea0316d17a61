"""Fresh, migrated databases for tests, on SQLite and PostgreSQL.

Each service's schema is built once per test session into a template (a SQLite file, a
PostgreSQL template database); every test then gets a copy, which is fast and isolated.
"""

from __future__ import annotations

import asyncio
import shutil
import uuid
from pathlib import Path

import asyncpg

from kanban.db import migrations
from kanban.db.urls import DatabaseUrl, parse_database_url
from tests.support.servers import PG_ADMIN_URL

SCRIPT_LOCATIONS = {"api": "kanban.api:migrations", "worker": "kanban.worker:migrations"}


async def pg_admin(sql: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


class DatabaseFactory:
    """Creates migrated databases and drops them all at the end of the session."""

    def __init__(self, workdir: Path) -> None:
        self._workdir = workdir
        self._templates: dict[tuple[str, str], str] = {}
        self._created_pg: list[str] = []
        self._token = uuid.uuid4().hex[:8]

    async def create(self, service: str, backend: str, migrated: bool = True) -> DatabaseUrl:
        name = f"kt_{self._token}_{service}_{uuid.uuid4().hex[:8]}"
        if backend == "sqlite":
            path = self._workdir / f"{name}.db"
            if migrated:
                template = await self._sqlite_template(service)
                shutil.copyfile(template, path)
            return parse_database_url(f"sqlite:///{path}")
        template = await self._pg_template(service) if migrated else "template0"
        await pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        self._created_pg.append(name)
        return parse_database_url(PG_ADMIN_URL).with_database(name)

    async def _sqlite_template(self, service: str) -> str:
        key = (service, "sqlite")
        if key not in self._templates:
            path = self._workdir / f"template_{service}.db"
            db = parse_database_url(f"sqlite:///{path}")
            await asyncio.to_thread(migrations.upgrade, SCRIPT_LOCATIONS[service], db)
            self._templates[key] = str(path)
        return self._templates[key]

    async def _pg_template(self, service: str) -> str:
        key = (service, "postgres")
        if key not in self._templates:
            name = f"kt_{self._token}_template_{service}"
            await pg_admin(f'CREATE DATABASE "{name}"')
            self._created_pg.append(name)
            db = parse_database_url(PG_ADMIN_URL).with_database(name)
            await asyncio.to_thread(migrations.upgrade, SCRIPT_LOCATIONS[service], db)
            self._templates[key] = name
        return self._templates[key]

    async def drop_all(self) -> None:
        # A DROP DATABASE waits mostly on the server's disk flush, so several at once finish in a
        # fraction of the time of one after another; templates go last, after their copies.
        templates = set(self._templates.values())
        copies = [name for name in self._created_pg if name not in templates]
        limit = asyncio.Semaphore(8)

        async def drop(name: str) -> None:
            async with limit:
                await pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

        await asyncio.gather(*(drop(name) for name in copies))
        await asyncio.gather(*(drop(name) for name in self._created_pg if name in templates))
        self._created_pg.clear()

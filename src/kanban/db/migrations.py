"""Running a service's Alembic history programmatically: upgrade, downgrade, current, head.

Each service keeps its own history in `<service>/migrations`; its env.py calls
`run_in_alembic_env` with its metadata. These functions are synchronous (Alembic drives its own
event loop): call them from async code through `asyncio.to_thread`.

Any number of replicas may start with `--migrate` at once: a migration run holds a lock (a
PostgreSQL advisory lock taken in the migration's transaction, a file lock beside an SQLite file),
so one upgrades while the others wait, then find the schema at head and do nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection

from kanban.db.engine import make_engine
from kanban.db.files import PRIVATE_FILE_MODE, sqlite_file
from kanban.db.urls import DatabaseUrl

# pg_advisory_xact_lock's key for "migrating this database" (advisory locks are per database).
MIGRATION_LOCK_KEY = 0x6B616E62616E  # "kanban"


def alembic_config(script_location: str, db: DatabaseUrl) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", script_location)
    cfg.attributes["database"] = db
    return cfg


def upgrade(script_location: str, db: DatabaseUrl, revision: str = "head") -> None:
    command.upgrade(alembic_config(script_location, db), revision)


def downgrade(script_location: str, db: DatabaseUrl, revision: str = "base") -> None:
    command.downgrade(alembic_config(script_location, db), revision)


def head(script_location: str) -> str | None:
    return ScriptDirectory.from_config(alembic_config(script_location, _NO_DB)).get_current_head()


async def current(db: DatabaseUrl, application_name: str = "kanban-cli") -> str | None:
    """The revision the database is at, or None when no migration ever ran."""
    engine = make_engine(db, application_name)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(lambda sync: MigrationContext.configure(sync).get_current_revision())
    finally:
        await engine.dispose()


def run_in_alembic_env(context: Any, metadata: MetaData) -> None:
    """The body of every service's env.py: run the migrations online against the configured database."""
    db: DatabaseUrl = context.config.attributes["database"]

    def run(connection: Connection) -> None:
        if db.is_postgres:
            # Taken in the transaction that migrates, so Alembic reads the version only once it holds
            # the lock, and released by that transaction's commit or rollback.
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=db.is_sqlite,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()

    async def main() -> None:
        engine = make_engine(db, "kanban-migrations")
        try:
            async with engine.connect() as conn:
                await conn.run_sync(run)
                await conn.commit()
        finally:
            await engine.dispose()

    with _sqlite_migration_lock(db):
        asyncio.run(main())


@contextlib.contextmanager
def _sqlite_migration_lock(db: DatabaseUrl) -> Iterator[None]:
    """An exclusive lock on `<database file>.migrate-lock` while one process migrates an SQLite file."""
    path = sqlite_file(db)
    if path is None:
        yield
        return
    lock_path = Path(f"{path}.migrate-lock")
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, PRIVATE_FILE_MODE)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


class _NoDatabase:
    """Placeholder for config objects that only read the script directory."""


_NO_DB: Any = _NoDatabase()

"""Start-up checks shared by the service commands: the database answers and its schema is at head."""

from __future__ import annotations

import asyncio

from kanban.cli.errors import CliError
from kanban.db import migrations
from kanban.db.urls import DatabaseUrl

SCRIPT_LOCATIONS = {"api": "kanban.api:migrations", "worker": "kanban.worker:migrations"}


def describe_connect_error(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]


async def database_revision(db: DatabaseUrl) -> str | None:
    try:
        return await asyncio.wait_for(migrations.current(db), timeout=10)
    except TimeoutError:
        raise CliError(f"database {db.redacted()} did not answer within 10s") from None
    except Exception as exc:  # any driver error here means "unreachable"; say which and why
        raise CliError(f"cannot reach database {db.redacted()}: {describe_connect_error(exc)}") from None


def ensure_schema_at_head(service: str, db: DatabaseUrl, migrate: bool) -> None:
    """Refuse to start against a database that is unreachable or behind; optionally upgrade it first."""
    location = SCRIPT_LOCATIONS[service]
    current = asyncio.run(database_revision(db))
    head = migrations.head(location)
    if current == head:
        return
    if migrate:
        migrations.upgrade(location, db)
        return
    raise CliError(
        f"the {service} database {db.redacted()} is at revision {current or 'none'}, head is {head}: "
        f"run 'kanban db upgrade {service}' (or start with --migrate)"
    )

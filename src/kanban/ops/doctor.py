"""The runbook's troubleshooting and success criteria as checks: each yields a ✓ or a ✗ with a reason."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial

import asyncpg
import httpx
from sqlalchemy import text

from kanban.db import migrations
from kanban.db.engine import make_engine
from kanban.db.urls import DatabaseUrl
from kanban.messaging.transports.http import EVENTS_PATH
from kanban.settings import Settings

SCRIPT_LOCATIONS = {"api": "kanban.api:migrations", "worker": "kanban.worker:migrations"}


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str


def _first_line(exc: BaseException) -> str:
    message = str(exc).strip()
    return message.splitlines()[0][:200] if message else type(exc).__name__


async def _guard(name: str, check: Callable[[], Awaitable[str]]) -> CheckResult:
    """Run one check; an AssertionError is a ✗ with its message, any other error a ✗ naming it."""
    try:
        return CheckResult(name, True, await asyncio.wait_for(check(), 15))
    except AssertionError as exc:
        return CheckResult(name, False, str(exc))
    except TimeoutError:
        return CheckResult(name, False, "timed out after 15s")
    except Exception as exc:  # a doctor reports every failure, it never crashes on one
        return CheckResult(name, False, _first_line(exc))


async def check_reachable(db: DatabaseUrl) -> str:
    engine = make_engine(db, "kanban-doctor")
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    finally:
        await engine.dispose()
    return f"{db.redacted()} accepts connections"


async def check_at_head(service: str, db: DatabaseUrl) -> str:
    current = await migrations.current(db)
    head = migrations.head(SCRIPT_LOCATIONS[service])
    assert current == head, f"at {current or 'no revision'}, head is {head} (run 'kanban db upgrade {service}')"
    return f"schema at head {head}"


async def check_read_write(db: DatabaseUrl) -> str:
    """Write and read back a row in a transaction that is rolled back: nothing stays behind."""
    engine = make_engine(db, "kanban-doctor")
    try:
        async with engine.connect() as conn:
            trans = await conn.begin()
            await conn.execute(
                text(
                    "INSERT INTO leases (name, owner, expires_at) VALUES ('doctor-probe', 'doctor', CURRENT_TIMESTAMP)"
                )
            )
            found = await conn.scalar(text("SELECT count(*) FROM leases WHERE name = 'doctor-probe'"))
            await trans.rollback()
    finally:
        await engine.dispose()
    assert found == 1, "the probe row written could not be read back"
    return "read and write in a rolled-back transaction"


async def check_separate(api: DatabaseUrl, worker: DatabaseUrl) -> str:
    assert not api.same_database_as(worker), "both services point at the same database"
    return f"{api.database} and {worker.database} are different databases"


async def check_sessions(db: DatabaseUrl, application_name: str, expected: str) -> str:
    """From pg_stat_activity: every session of this service is on its own database."""
    role = db.url.username or ""
    conn = await asyncpg.connect(db.libpq_dsn)
    try:
        rows = await conn.fetch(
            "SELECT DISTINCT datname FROM pg_stat_activity WHERE application_name = $1 AND usename = $2",
            application_name,
            role,
        )
    finally:
        await conn.close()
    names = sorted(r["datname"] for r in rows)
    assert names, f"no session of {application_name} as role {role} (is the service running?)"
    assert names == [expected], f"{application_name} is connected to {', '.join(names)}"
    return f"{application_name} (role {role}) is connected only to {expected}"


async def check_cannot_reach(db: DatabaseUrl, other: DatabaseUrl) -> str:
    """The service's role must be refused by the server on the other service's database."""
    role = db.url.username or "(default role)"
    target = db.with_database(other.database)
    try:
        conn = await asyncpg.connect(target.libpq_dsn)
    except (asyncpg.InsufficientPrivilegeError, asyncpg.InvalidAuthorizationSpecificationError):
        return f"role {role} is refused on {other.database}"
    await conn.close()
    raise AssertionError(f"role {role} CAN connect to {other.database} (run 'kanban db provision')")


async def check_http_peer(events_url: str, peer: str) -> str:
    health = events_url.replace(EVENTS_PATH, "/health/ready")
    async with httpx.AsyncClient(timeout=5, trust_env=False) as client:
        response = await client.get(health)
    assert response.status_code == 200, f"{peer} at {health} answered {response.status_code}"
    return f"{peer} ready at {health}"


async def check_nats(url: str) -> str:
    import nats

    client = await nats.connect(url, connect_timeout=3, max_reconnect_attempts=0, allow_reconnect=False)
    try:
        await client.jetstream().account_info()
    finally:
        await client.close()
    return f"NATS JetStream reachable at {url}"


async def run_doctor(api: Settings, worker: Settings) -> list[CheckResult]:
    results: list[CheckResult] = []
    for service, settings in (("api", api), ("worker", worker)):
        db = settings.database
        reachable = await _guard(f"{service} database reachable", partial(check_reachable, db))
        results.append(reachable)
        if not reachable.ok:
            continue
        results.append(await _guard(f"{service} schema applied", partial(check_at_head, service, db)))
        results.append(await _guard(f"{service} can read and write its database", partial(check_read_write, db)))
    checks: list[tuple[str, Callable[[], Awaitable[str]]]] = [
        ("two separate databases", partial(check_separate, api.database, worker.database)),
    ]
    if api.database.is_postgres and worker.database.is_postgres:
        checks += [
            (
                "API connects only to its database",
                partial(check_sessions, api.database, api.role_name, api.database.database),
            ),
            (
                "Worker connects only to its database",
                partial(check_sessions, worker.database, worker.role_name, worker.database.database),
            ),
            ("API role cannot reach the Worker database", partial(check_cannot_reach, api.database, worker.database)),
            ("Worker role cannot reach the API database", partial(check_cannot_reach, worker.database, api.database)),
        ]
    if api.transport == "http":
        checks += [
            ("Worker reachable from the API (http)", partial(check_http_peer, api.peer_events_url or "", "worker")),
            ("API reachable from the Worker (http)", partial(check_http_peer, worker.peer_events_url or "", "api")),
        ]
    elif api.transport == "nats":
        checks.append(("transport reachable (nats)", partial(check_nats, api.nats_url)))
    for name, check in checks:
        results.append(await _guard(name, check))
    return results

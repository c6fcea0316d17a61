"""The runbook's troubleshooting and success criteria as checks: each yields a ✓ or a ✗ with a reason."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial

import asyncpg
import httpx
from sqlalchemy import text

from kanban.api import tables as api_tables
from kanban.db import migrations
from kanban.db.engine import make_engine
from kanban.db.urls import DatabaseUrl
from kanban.messaging.operations import events_status
from kanban.messaging.tables import MessagingTables
from kanban.messaging.transports.http import EVENTS_PATH
from kanban.settings import Settings
from kanban.worker import tables as worker_tables

SCRIPT_LOCATIONS = {"api": "kanban.api:migrations", "worker": "kanban.worker:migrations"}
MESSAGING_TABLES = {"api": api_tables.messaging, "worker": worker_tables.messaging}
# An event older than this still waiting in an outbox or inbox means the bridge is stuck.
LAG_LIMIT_SECONDS = 60.0


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
    # The peer stays ready while its own peer is away; say what it sees, as its health detail does.
    seen = response.json().get("peers") or {}
    away = [f"{name}: {result}" for name, result in seen.items() if result != "ok"]
    return f"{peer} ready at {health}" + (f" (it reports away: {'; '.join(away)})" if away else "")


async def check_event_lag(db: DatabaseUrl, tables: MessagingTables, service: str) -> str:
    """Events flow: nothing waits in the outbox or the inbox for long, and nothing is dead-lettered."""
    engine = make_engine(db, "kanban-doctor")
    try:
        status = await events_status(engine, tables, service)
    finally:
        await engine.dispose()
    inbox_pending = sum(c.pending for c in status.consumers)
    inbox_age = max((c.oldest_pending_age_seconds for c in status.consumers), default=0.0)
    dead = sum(c.dead_letters for c in status.consumers)
    summary = (
        f"outbox {status.outbox.pending} pending (oldest {status.outbox.oldest_pending_age_seconds:.0f}s), "
        f"inbox {inbox_pending} pending (oldest {inbox_age:.0f}s), {dead} dead letter(s)"
    )
    assert dead == 0, f"{summary}: see 'kanban events dead-letters list'"
    worst = max(status.outbox.oldest_pending_age_seconds, inbox_age)
    assert worst <= LAG_LIMIT_SECONDS, f"{summary}: events are waiting longer than {LAG_LIMIT_SECONDS:.0f}s"
    return summary


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
    for service, settings in (("api", api), ("worker", worker)):
        if any(r.name == f"{service} schema applied" and r.ok for r in results):
            checks.append(
                (
                    f"{service} event lag",
                    partial(check_event_lag, settings.database, MESSAGING_TABLES[service], service),
                )
            )
    for name, check in checks:
        results.append(await _guard(name, check))
    return results

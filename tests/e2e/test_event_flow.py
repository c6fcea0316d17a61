"""Both services as separate processes: the Worker's snapshots follow the API's tasks, through any outage.

SQLite with the http transport, PostgreSQL with NATS JetStream (a private broker the test can
restart). Driven only through HTTP; the Worker database is read only to check its read model.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from kanban.db.engine import make_engine
from kanban.db.urls import DatabaseUrl
from kanban.worker import tables as wt
from tests.support.databases import DatabaseFactory
from tests.support.nats_server import PrivateNats
from tests.support.processes import System, build_system, signed_up_client
from tests.support.servers import postgres_reachable, require

pytestmark = pytest.mark.e2e

SETUPS = [
    pytest.param(("sqlite", "http"), id="sqlite-http"),
    pytest.param(("postgres", "nats"), id="postgres-nats", marks=[pytest.mark.postgres, pytest.mark.nats]),
]


@pytest.fixture(params=SETUPS)
def setup(request: pytest.FixtureRequest) -> tuple[str, str]:
    backend, transport = request.param
    if backend == "postgres":
        require("PostgreSQL", postgres_reachable())
    if transport == "nats":
        require("NATS", PrivateNats.available())
    return backend, transport


@pytest.fixture
def system(
    setup: tuple[str, str], database_factory: DatabaseFactory, tmp_path: Path, event_loop_runner: Any
) -> Iterator[tuple[System, DatabaseUrl, PrivateNats | None]]:
    backend, transport = setup
    api_db = event_loop_runner(database_factory.create("api", backend))
    worker_db = event_loop_runner(database_factory.create("worker", backend))
    broker: PrivateNats | None = None
    extra: dict[str, str] = {}
    if transport == "nats":
        broker = PrivateNats(tmp_path / "nats")
        broker.start()
        extra["KANBAN_NATS_URL"] = broker.url
    sys_ = build_system(api_db, worker_db, tmp_path, transport=transport, **extra)
    sys_.start()
    try:
        yield sys_, worker_db, broker
    finally:
        sys_.stop()
        if broker is not None:
            broker.stop()


@pytest.fixture
def event_loop_runner() -> Iterator[Any]:
    loop = asyncio.new_event_loop()
    yield loop.run_until_complete
    loop.close()


def _client(system: System) -> httpx.Client:
    return signed_up_client(system.api.base_url, "gtd@example.test")


def _api_tasks(client: httpx.Client, board_id: str) -> dict[str, int]:
    found: dict[str, int] = {}
    while True:
        page = client.get(f"/boards/{board_id}/tasks", params={"limit": 200, "offset": len(found)}).json()
        found |= {t["id"]: t["version"] for t in page["items"]}
        if not page["items"] or len(found) >= page["total"]:
            return found


def _worker_snapshots(worker_db: DatabaseUrl) -> dict[str, int]:
    async def read() -> dict[str, int]:
        engine = make_engine(worker_db, "kanban-test")
        try:
            async with engine.connect() as conn:
                rows = (
                    await conn.execute(
                        select(wt.task_snapshots.c.task_id, wt.task_snapshots.c.version).where(
                            wt.task_snapshots.c.deleted.is_(False)
                        )
                    )
                ).all()
            return {r.task_id: r.version for r in rows}
        finally:
            await engine.dispose()

    return asyncio.run(read())


def _inbox_health(worker_db: DatabaseUrl) -> tuple[int, int]:
    """(events processed or skipped more than once — impossible by key, so: dead letters, pending)."""

    async def read() -> tuple[int, int]:
        engine = make_engine(worker_db, "kanban-test")
        try:
            async with engine.connect() as conn:
                dead = await conn.scalar(select(func.count()).select_from(wt.messaging.dead_letters))
                pending = await conn.scalar(
                    select(func.count()).select_from(wt.messaging.inbox).where(wt.messaging.inbox.c.status == "pending")
                )
            return int(dead or 0), int(pending or 0)
        finally:
            await engine.dispose()

    return asyncio.run(read())


def _wait_until_equal(client: httpx.Client, board_id: str, worker_db: DatabaseUrl, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    expected = _api_tasks(client, board_id)
    while time.monotonic() < deadline:
        if _worker_snapshots(worker_db) == expected:
            return
        time.sleep(0.3)
    missing = set(expected.items()) ^ set(_worker_snapshots(worker_db).items())
    raise AssertionError(f"worker snapshots never matched the API; {len(missing)} differences")


def test_snapshots_follow_create_edit_move_delete(system: tuple[System, DatabaseUrl, PrivateNats | None]) -> None:
    sys_, worker_db, _ = system
    client = _client(sys_)
    board = client.get("/boards/default").json()
    columns = {c["type"]: c["id"] for c in board["columns"]}
    ids = []
    for i in range(6):
        reply = client.post(f"/boards/{board['id']}/tasks", json={"title": f"Task {i}", "description": "Call Bob"})
        assert reply.status_code == 201, reply.text
        ids.append(reply.json()["id"])
    assert client.patch(f"/tasks/{ids[0]}", json={"title": "Renamed"}).status_code == 200
    assert client.post(f"/tasks/{ids[1]}/move", json={"columnId": columns["WAITING"]}).status_code == 200
    assert client.post(f"/tasks/{ids[2]}/move", json={"columnId": columns["DONE"]}).status_code == 200
    assert client.delete(f"/tasks/{ids[3]}").status_code == 204
    _wait_until_equal(client, board["id"], worker_db)
    assert _inbox_health(worker_db)[0] == 0


def test_worker_catches_up_after_downtime_with_nothing_lost_or_doubled(
    system: tuple[System, DatabaseUrl, PrivateNats | None],
) -> None:
    sys_, worker_db, broker = system
    client = _client(sys_)
    board_id = client.get("/boards/default").json()["id"]
    sys_.worker.stop()
    ids: list[str] = []
    changes = 0
    while changes < 1000:
        if len(ids) < 200:
            reply = client.post(f"/boards/{board_id}/tasks", json={"title": f"Offline task {changes}"})
            assert reply.status_code == 201, reply.text
            ids.append(reply.json()["id"])
        else:
            task_id = ids[changes % len(ids)]
            reply = client.patch(f"/tasks/{task_id}", json={"description": f"edit {changes}"})
            assert reply.status_code == 200, reply.text
        changes += 1
        if broker is not None and changes == 500:
            broker.stop()  # the broker goes away midway; the API keeps serving from its outbox
            broker.start()
    assert client.get("/health/live").status_code == 200
    sys_.worker.start()
    _wait_until_equal(client, board_id, worker_db, timeout=180)
    dead, pending = _inbox_health(worker_db)
    assert dead == 0

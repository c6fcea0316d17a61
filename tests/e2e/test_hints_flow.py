"""A task comes back with useful hints through the API, with the Worker as its own process.

SQLite with http, PostgreSQL with NATS: hints from every agent arrive, applying each changes the
task, undo restores it; a Worker killed mid-job finishes the job once after restart; two Worker
processes on PostgreSQL never run the same job twice.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
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
from tests.support.pages import PageServer
from tests.support.processes import ServiceProcess, System, build_system, free_port, signed_up_client
from tests.support.servers import postgres_reachable, require

pytestmark = pytest.mark.e2e

SETUPS = [
    pytest.param(("sqlite", "http"), id="sqlite-http"),
    pytest.param(("postgres", "nats"), id="postgres-nats", marks=[pytest.mark.postgres, pytest.mark.nats]),
]
DESCRIPTION = """Need to file the quarterly taxes before the deadline.
See {url} for the rules.

1. Gather all invoices and receipts from the accountant folder
2. Open browser
3. Email the accountant the summary of expenses
"""


def _run(coro: Any) -> Any:
    return asyncio.new_event_loop().run_until_complete(coro)


@pytest.fixture(params=SETUPS)
def system(
    request: pytest.FixtureRequest, database_factory: DatabaseFactory, tmp_path: Path
) -> Iterator[tuple[System, DatabaseUrl]]:
    backend, transport = request.param
    if backend == "postgres":
        require("PostgreSQL", postgres_reachable())
    api_db = _run(database_factory.create("api", backend))
    worker_db = _run(database_factory.create("worker", backend))
    broker = None
    extra = {"KANBAN_FETCH_ALLOW_HOSTS": "127.0.0.1", "KANBAN_JOB_LEASE_SECONDS": "3"}
    if transport == "nats":
        require("NATS", PrivateNats.available())
        broker = PrivateNats(tmp_path / "nats")
        broker.start()
        extra["KANBAN_NATS_URL"] = broker.url
    sys_ = build_system(api_db, worker_db, tmp_path, transport=transport, **extra)
    sys_.start()
    try:
        yield sys_, worker_db
    finally:
        sys_.stop()
        if broker is not None:
            broker.stop()


def _client(system: System) -> httpx.Client:
    return signed_up_client(system.api.base_url, "hints@example.test")


def _wait_for_hints(client: httpx.Client, task_id: str, types: set[str], timeout: float = 90) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    hints: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        hints = client.get(f"/tasks/{task_id}/hints").json()
        if types <= {h["hintType"] for h in hints}:
            return hints
        time.sleep(0.3)
    raise AssertionError(f"hints {types - {h['hintType'] for h in hints}} never arrived; got {hints}")


def _start_a_slow_job(client: httpx.Client, board_id: str, pages: PageServer) -> dict[str, Any]:
    """A task whose linked page answers slowly; returns once the Worker's job is fetching it."""
    task: dict[str, Any] = client.post(
        f"/boards/{board_id}/tasks",
        json={"title": "Read the tax guide", "description": f"Read {pages.url} and summarise it"},
    ).json()
    deadline = time.monotonic() + 60
    while pages.requests == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert pages.requests >= 1, "the job never started"
    return task


def _job_counts(worker_db: DatabaseUrl) -> tuple[Counter[str], int]:
    """(agent results per job, jobs that ran more than one complete set of agents)."""

    async def read() -> tuple[Counter[str], int]:
        engine = make_engine(worker_db, "kanban-test")
        try:
            async with engine.connect() as conn:
                rows = (await conn.execute(select(wt.agent_results.c.job_id, wt.agent_results.c.agent_id))).all()
                await conn.scalar(select(func.count()).select_from(wt.agent_jobs))
        finally:
            await engine.dispose()
        per_job_agent = Counter((r.job_id, r.agent_id) for r in rows)
        doubled = sum(1 for n in per_job_agent.values() if n > 1)
        return Counter(r.job_id for r in rows), doubled

    return asyncio.run(read())


def test_task_gets_hints_and_each_applies_and_undoes(system: tuple[System, DatabaseUrl]) -> None:
    sys_, _ = system
    client = _client(sys_)
    board = client.get("/boards/default").json()
    for name in ("Finance", "Home"):
        assert client.post(f"/boards/{board['id']}/tags", json={"name": name}).status_code == 201
    client.post(f"/boards/{board['id']}/tasks", json={"title": "File quarterly taxes before the deadline"})
    with PageServer() as pages:
        task = client.post(
            f"/boards/{board['id']}/tasks",
            json={"title": "file the quarterly  taxes", "description": DESCRIPTION.format(url=pages.url)},
        ).json()
        hints = _wait_for_hints(client, task["id"], {"context", "actions", "tags", "summary", "duplicate"})
    by_type = {h["hintType"]: h for h in hints if h["status"] == "proposed"}
    assert any("invoices" in item.lower() for item in by_type["actions"]["data"]["items"])
    assert not any("browser" in item.lower() for item in by_type["actions"]["data"]["items"])
    assert "Finance" in by_type["tags"]["data"]["tags"]
    assert by_type["summary"]["untrusted"] is True and "Quarterly tax" in (by_type["summary"]["title"] or "")

    before = client.get(f"/tasks/{task['id']}").json()
    for hint_type, check in (
        ("context", lambda t, h: t["context"] == h["data"]["context"]),
        ("tags", lambda t, h: set(h["data"]["tags"]) <= {tag["name"] for tag in t["tags"]}),
        ("actions", lambda t, h: True),
        ("summary", lambda t, h: pages.url in (t["description"] or "")),
    ):
        hint = by_type[hint_type]
        applied = client.post(f"/hints/{hint['id']}/apply")
        assert applied.status_code == 200, applied.text
        after = client.get(f"/tasks/{task['id']}").json()
        assert check(after, hint), (hint_type, after)
    checklist = client.get(f"/tasks/{task['id']}/checklist").json()
    assert len(checklist["items"]) == len(by_type["actions"]["data"]["items"])
    for hint_type in ("summary", "actions", "tags", "context"):
        assert client.post(f"/hints/{by_type[hint_type]['id']}/undo").status_code == 200
    restored = client.get(f"/tasks/{task['id']}").json()
    for field in ("title", "description", "context", "tags", "priority", "durationMinutes"):
        assert restored[field] == before[field], field
    assert client.get(f"/tasks/{task['id']}/checklist").json()["items"] == []


def test_worker_killed_mid_job_finishes_it_once(system: tuple[System, DatabaseUrl]) -> None:
    sys_, worker_db = system
    client = _client(sys_)
    board = client.get("/boards/default").json()
    with PageServer(delay_seconds=4) as pages:
        task = _start_a_slow_job(client, board["id"], pages)
        sys_.worker.kill()  # mid-job: the page is still being served
        sys_.worker.start()
        hints = _wait_for_hints(client, task["id"], {"summary"}, timeout=120)
    per_type = Counter(h["hintType"] for h in hints)
    assert all(n == 1 for n in per_type.values()), per_type
    _, doubled = _job_counts(worker_db)
    assert doubled == 0


def test_sigterm_mid_job_stops_cleanly_and_the_job_completes_after_restart(system: tuple[System, DatabaseUrl]) -> None:
    sys_, worker_db = system
    client = _client(sys_)
    board = client.get("/boards/default").json()
    with PageServer(delay_seconds=4) as pages:
        task = _start_a_slow_job(client, board["id"], pages)
        assert sys_.worker.stop() == 0  # SIGTERM: the in-flight job finishes or gives its lease back
        assert "Worker stopped" in sys_.worker.logs()
        sys_.worker.start()
        hints = _wait_for_hints(client, task["id"], {"summary"}, timeout=120)
    assert all(n == 1 for n in Counter(h["hintType"] for h in hints).values())
    assert _job_counts(worker_db)[1] == 0


@pytest.mark.postgres
def test_two_workers_on_postgres_never_run_the_same_job_twice(
    database_factory: DatabaseFactory, tmp_path: Path
) -> None:
    require("PostgreSQL", postgres_reachable())
    api_db = _run(database_factory.create("api", "postgres"))
    worker_db = _run(database_factory.create("worker", "postgres"))
    sys_ = build_system(api_db, worker_db, tmp_path, KANBAN_WORKER_CONCURRENCY="2")
    second_port = free_port()
    second = ServiceProcess(
        "worker", second_port, sys_.worker.env | {"KANBAN_PORT": str(second_port)}, tmp_path / "worker2.log"
    )
    sys_.start()
    second.start()
    try:
        client = _client(sys_)
        board = client.get("/boards/default").json()
        ids = [
            client.post(f"/boards/{board['id']}/tasks", json={"title": f"Call supplier {i} about invoice"}).json()["id"]
            for i in range(24)
        ]
        for task_id in ids:
            _wait_for_hints(client, task_id, {"context"})
        results_per_job, doubled = _job_counts(worker_db)
        assert doubled == 0
        assert len(results_per_job) >= len(ids)
    finally:
        second.stop()
        sys_.stop()

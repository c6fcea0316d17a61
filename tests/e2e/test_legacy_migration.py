"""The runbook end to end: a legacy shared database → backup → split → verify → both services →
every task, checklist, tag, hint and event of a legacy user is there through the API, and the
Worker's snapshots match the API's tasks. Driven through the CLI and HTTP only.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import select

from kanban.db.engine import make_engine
from kanban.db.urls import DatabaseUrl
from kanban.worker import tables as wt
from tests.fixtures.legacy.generate import LEGACY_PASSWORD
from tests.integration.ops.conftest import make_legacy
from tests.support.databases import DatabaseFactory
from tests.support.processes import build_system, run_cli
from tests.support.servers import postgres_reachable, require

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]


def _run(coro: Any) -> Any:
    return asyncio.new_event_loop().run_until_complete(coro)


async def _legacy_view(dsn: str, email: str) -> dict[str, Any]:
    """What the legacy database holds for one user's boards, keyed by task id."""
    conn = await asyncpg.connect(dsn)
    try:
        tasks = await conn.fetch(
            'SELECT t.id::text AS id FROM "Task" t JOIN "Board" b ON b.id = t."boardId" '
            'JOIN "User" u ON u.id = b."ownerId" WHERE u.email = $1',
            email,
        )
        ids = [r["id"] for r in tasks]

        async def per_task(sql: str) -> Counter[str]:
            rows = await conn.fetch(sql, ids)
            return Counter({r["task"]: r["n"] for r in rows})

        tags = await conn.fetch(
            'SELECT tt."taskId"::text AS task, lower(g.name) AS name FROM "TaskTag" tt '
            'JOIN "Tag" g ON g.id = tt."tagId" WHERE tt."taskId"::text = ANY($1)',
            ids,
        )
        return {
            "tasks": set(ids),
            "checklist": await per_task(
                'SELECT "taskId"::text AS task, count(*) AS n FROM "ChecklistItem" WHERE "taskId"::text = ANY($1) GROUP BY 1'
            ),
            "hints": await per_task(
                'SELECT "taskId"::text AS task, count(*) AS n FROM "Hint" WHERE "taskId"::text = ANY($1) GROUP BY 1'
            ),
            "events": await per_task(
                'SELECT "taskId"::text AS task, count(*) AS n FROM "TaskEvent" WHERE "taskId"::text = ANY($1) GROUP BY 1'
            ),
            "tags": {(r["task"], r["name"]) for r in tags},
        }
    finally:
        await conn.close()


def _api_view(client: httpx.Client) -> dict[str, Any]:
    view: dict[str, Any] = {
        "tasks": set(),
        "checklist": Counter(),
        "hints": Counter(),
        "events": Counter(),
        "tags": set(),
    }
    versions: dict[str, int] = {}
    for board in client.get("/boards").json():
        offset = 0
        while True:
            page = client.get(f"/boards/{board['id']}/tasks", params={"limit": 200, "offset": offset}).json()
            for task in page["items"]:
                task_id = task["id"]
                view["tasks"].add(task_id)
                versions[task_id] = task["version"]
                view["tags"] |= {(task_id, tag["name"].lower()) for tag in task["tags"]}
                if n := len(client.get(f"/tasks/{task_id}/checklist").json()["items"]):
                    view["checklist"][task_id] = n
                # Hints the Worker proposes after the migration carry a job id; the migrated ones do not.
                if n := sum(1 for h in client.get(f"/tasks/{task_id}/hints").json() if h["jobId"] is None):
                    view["hints"][task_id] = n
                events = client.get(f"/tasks/{task_id}/events", params={"limit": 200}).json()["items"]
                if n := sum(1 for e in events if not e["type"].startswith("hint_")):
                    view["events"][task_id] = n
            offset += len(page["items"])
            if not page["items"] or offset >= page["total"]:
                break
    view["versions"] = versions
    return view


def _snapshots(worker_db: DatabaseUrl) -> dict[str, int]:
    async def read() -> dict[str, int]:
        engine = make_engine(worker_db, "kanban-test")
        try:
            async with engine.connect() as conn:
                rows = await conn.execute(
                    select(wt.task_snapshots.c.task_id, wt.task_snapshots.c.version).where(
                        wt.task_snapshots.c.deleted.is_(False)
                    )
                )
                return {r.task_id: r.version for r in rows}
        finally:
            await engine.dispose()

    return asyncio.run(read())


def test_legacy_database_lands_whole_through_the_cli_and_the_api(
    database_factory: DatabaseFactory, tmp_path: Path
) -> None:
    require("PostgreSQL", postgres_reachable())
    legacy = _run(make_legacy(database_factory, "single", tasks=300))
    api_db = _run(database_factory.create("api", "postgres", migrated=False))
    worker_db = _run(database_factory.create("worker", "postgres", migrated=False))
    source, api_url, worker_url = (
        db.url.render_as_string(hide_password=False) for db in (legacy.url, api_db, worker_db)
    )
    backup = tmp_path / "legacy.dump"

    for args in (
        ("migrate", "backup", "--source", source, "--out", str(backup)),
        ("migrate", "split", "--source", source, "--api", api_url, "--worker", worker_url, "--backup", str(backup)),
        ("migrate", "verify", "--source", source, "--api", api_url, "--worker", worker_url),
    ):
        result = run_cli(*args, timeout=300)
        assert result.returncode == 0, (args[1], result.stdout[-2000:], result.stderr[-2000:])

    expected = _run(_legacy_view(legacy.url.libpq_dsn, "user0@example.org"))
    assert expected["tasks"], "the fixture gave user0 no tasks"
    system = build_system(api_db, worker_db, tmp_path)
    # The API first, alone: what it serves is exactly what was migrated. (Once the Worker runs, its
    # new hints may be auto-applied on boards that allow it, adding tags and checklist items.)
    system.api.start()
    try:
        client = httpx.Client(base_url=f"{system.api.base_url}/api/v1", timeout=30)
        login = client.post("/auth/login", json={"email": "user0@example.org", "password": LEGACY_PASSWORD})
        assert login.status_code == 200, login.text
        client.headers["Authorization"] = f"Bearer {login.json()['accessToken']}"
        seen = _api_view(client)
        # Migrated templates that were already due create their one catch-up occurrence at start.
        made_by_templates = {
            task_id
            for task_id in seen["tasks"] - expected["tasks"]
            if client.get(f"/tasks/{task_id}/events").json()["items"][-1]["triggeredBy"].startswith("template:")
        }
        assert seen["tasks"] - made_by_templates == expected["tasks"]
        for part in ("checklist", "hints", "events"):
            assert {k: v for k, v in seen[part].items() if k not in made_by_templates} == expected[part], part
        assert {(task, tag) for task, tag in seen["tags"] if task not in made_by_templates} == expected["tags"]
        # user1 has no password (passwordHash null in the legacy data): an operator lets them in.
        nobody = {"email": "user1@example.org", "password": "a password set by the operator"}
        assert client.post("/auth/login", json=nobody).status_code == 401
        set_password = subprocess.run(
            [sys.executable, "-m", "kanban.cli.main", "users", "set-password", nobody["email"]],
            input=nobody["password"] + "\n", env={"PATH": os.environ.get("PATH", "")} | system.env,
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert set_password.returncode == 0, set_password.stderr
        assert client.post("/auth/login", json=nobody).status_code == 200
        system.worker.start()
        # The Worker's read model was seeded through the API's outbox and follows the API.
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            snapshots = _snapshots(worker_db)
            api_versions = _api_view(client)["versions"]
            if all(snapshots.get(task_id) == version for task_id, version in api_versions.items()):
                break
            time.sleep(1)
        assert all(snapshots.get(t) == v for t, v in api_versions.items())
        # Every legacy task reached the Worker (plus the occurrences templates made at start).
        assert len(legacy.facts.task_ids) == legacy.facts.rows["Task"]
        assert set(legacy.facts.task_ids) <= set(snapshots)
    finally:
        system.stop()

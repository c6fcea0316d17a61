"""Delete my account: every row of the user goes from the API database in one transaction, and the
Worker drops its snapshots, drafts and jobs when `user.deleted` reaches it. Counted in both databases."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from kanban.api import tables as api_tables
from kanban.worker import tables as worker_tables
from tests.integration import test_hint_flow
from tests.integration.test_hint_flow import System, eventually

system = test_hint_flow.system  # both services in one process (memory transport)

PASSWORD = "correct horse battery"


async def _register(system: System, email: str) -> dict[str, str]:
    reply = await system.api.client.post("/auth/register", json={"email": email, "password": PASSWORD})
    assert reply.status_code == 201, reply.text
    return {"Authorization": f"Bearer {reply.json()['accessToken']}", "X-User-Id": reply.json()["user"]["id"]}


async def _fill(system: System, me: dict[str, str], word: str) -> list[str]:
    """A board with tagged tasks, a checklist, a project, a deleted task; returns the task ids."""
    c = system.api.client
    board = (await c.get("/boards/default", headers=me)).json()
    project = (await c.post(f"/boards/{board['id']}/projects", json={"name": f"{word} project"}, headers=me)).json()
    ids = []
    for n in range(3):
        task = (
            await c.post(
                f"/boards/{board['id']}/tasks",
                json={"title": f"{word} task {n}", "tags": [f"{word}-tag"], "projectId": project["id"]},
                headers=me,
            )
        ).json()
        ids.append(task["id"])
    await c.post(f"/tasks/{ids[0]}/checklist", json={"title": f"{word} step"}, headers=me)
    gone = (await c.post(f"/boards/{board['id']}/tasks", json={"title": f"{word} gone"}, headers=me)).json()
    await c.delete(f"/tasks/{gone['id']}", headers=me)
    return ids


async def _counts(engine: AsyncEngine, metadata: Any) -> dict[str, int]:
    async with engine.connect() as conn:
        return {
            table.name: int(await conn.scalar(select(func.count()).select_from(table)) or 0)
            for table in metadata.sorted_tables
        }


async def _rows_mentioning(engine: AsyncEngine, metadata: Any, needles: list[str]) -> list[str]:
    found = []
    async with engine.connect() as conn:
        for table in metadata.sorted_tables:
            for row in await conn.execute(select(table)):
                text = json.dumps([str(v) for v in row], default=str)
                found += [f"{table.name}: {n}" for n in needles if n in text]
    return found


async def _settled(system: System, task_ids: list[str]) -> None:
    """Every task analysed and nothing in flight: no pending job, outbox row or inbox row on either side."""
    api_engine = system.api.app.state.services.engine  # type: ignore[attr-defined]
    w, a = worker_tables, api_tables

    async def quiet() -> bool:
        async with system.worker.engine.connect() as conn:
            drafted = await conn.scalar(
                select(func.count(func.distinct(w.hint_drafts.c.task_id))).where(w.hint_drafts.c.task_id.in_(task_ids))
            )
            busy = await conn.scalar(
                select(func.count()).select_from(w.agent_jobs).where(w.agent_jobs.c.status.in_(("queued", "running")))
            )
            busy += await _pending(conn, w.messaging)
        async with api_engine.connect() as conn:
            busy += await _pending(conn, a.messaging)
        return drafted == len(task_ids) and busy == 0

    await eventually(quiet)
    await eventually(quiet)  # twice: a job may have queued a new event between the two databases' reads


async def _pending(conn: Any, m: Any) -> int:
    outbox = await conn.scalar(select(func.count()).select_from(m.outbox).where(m.outbox.c.sent_at.is_(None)))
    inbox = await conn.scalar(select(func.count()).select_from(m.inbox).where(m.inbox.c.status == "pending"))
    return int(outbox or 0) + int(inbox or 0)


async def _snapshots(system: System, task_ids: list[str]) -> int:
    snapshots = worker_tables.task_snapshots
    async with system.worker.engine.connect() as conn:
        stmt = select(func.count()).select_from(snapshots).where(snapshots.c.task_id.in_(task_ids))
        return int(await conn.scalar(stmt) or 0)


async def test_deleting_an_account_removes_its_rows_from_both_databases(system: System) -> None:
    api_engine = system.api.app.state.services.engine  # type: ignore[attr-defined]
    stays = await _register(system, "stays@example.test")
    await _settled(system, await _fill(system, stays, "Keep"))
    api_before, worker_before = (
        await _counts(api_engine, api_tables.metadata),
        await _counts(system.worker.engine, worker_tables.metadata),
    )

    leaves = await _register(system, "leaves@example.test")
    leaving_tasks = await _fill(system, leaves, "Secret")
    await _settled(system, leaving_tasks)
    assert await _snapshots(system, leaving_tasks) == 3

    wrong = await system.api.client.request("DELETE", "/users/me", json={"password": "nope"}, headers=leaves)
    assert wrong.status_code == 422 and wrong.json()["field"] == "password"
    deleted = await system.api.client.request("DELETE", "/users/me", json={"password": PASSWORD}, headers=leaves)
    assert deleted.status_code == 204
    assert (await system.api.client.get("/users/me", headers=leaves)).status_code == 401

    async def worker_forgot() -> bool:
        return await _snapshots(system, leaving_tasks) == 0

    await eventually(worker_forgot)
    # Messaging rows come and go on their own; a registration throttle row belongs to the client's
    # address, not to the account (the needles below check none of them names the user).
    messaging = {"outbox", "inbox", "aggregate_cursors", "dead_letters", "leases", "login_attempts"}
    api_after = await _counts(api_engine, api_tables.metadata)
    worker_after = await _counts(system.worker.engine, worker_tables.metadata)
    for before, after in ((api_before, api_after), (worker_before, worker_after)):
        assert {k: v for k, v in after.items() if k not in messaging} == {
            k: v for k, v in before.items() if k not in messaging
        }
    # No row anywhere, messaging tables included, still holds the user's text or email.
    needles = ["Secret", "leaves@example.test"]
    assert await _rows_mentioning(api_engine, api_tables.metadata, needles) == []
    assert await _rows_mentioning(system.worker.engine, worker_tables.metadata, needles) == []
    # The one who stays is untouched.
    board = (await system.api.client.get("/boards/default", headers=stays)).json()
    assert sum(len(c["tasks"]) for c in board["columns"]) == 3

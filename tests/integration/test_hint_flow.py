"""Both services in one process over the memory transport: a task created in the API comes back as hints.

API task row + TaskCreated → Worker snapshot + job → agents → drafts + HintsProposed → API hints
(+ auto-apply) → HintsSynced → the Worker's drafts are synced.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from kanban.api.app import create_app
from kanban.api.tasks.state import task_state
from kanban.contracts.events import TaskCreatedV1, TaskMovedV1, TaskUpdatedV1
from kanban.db.urls import DatabaseUrl
from kanban.messaging.transports.memory import MemoryHub
from kanban.worker import tables as wt
from kanban.worker.bootstrap import WorkerServices, build_worker_services
from kanban.worker.jobs.runner import JobRunner, RunnerConfig
from tests.integration.api.conftest import ApiHarness
from tests.integration.api.test_hints import hints_of, seed_task, services, task_row
from tests.support.pipelines import FakePipeline, draft
from tests.support.settings import settings_for


@dataclass
class System:
    api: ApiHarness
    worker: WorkerServices
    pipeline: FakePipeline


@pytest.fixture
async def system(api_db: DatabaseUrl, worker_db: DatabaseUrl) -> AsyncIterator[System]:
    hub = MemoryHub()
    app = create_app(settings_for("api", api_db, worker_db), hub=hub)
    worker = build_worker_services(settings_for("worker", api_db, worker_db), hub=hub)
    pipeline = FakePipeline(
        make_drafts=lambda ctx: [
            draft("priority", confidence=0.95, data={"priority": "HIGH"}),
            draft("title", confidence=0.6, content=ctx.task.title.capitalize()),
        ]
    )
    runner = JobRunner(worker, pipeline, RunnerConfig(concurrency=1, poll_seconds=0.01))
    stop = asyncio.Event()
    async with app.router.lifespan_context(app):
        await worker.messaging.start()
        jobs = asyncio.create_task(runner.run(stop))
        transport = httpx.ASGITransport(app=app)
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://test/api/v1") as client:
                yield System(ApiHarness(client=client, app=app), worker, pipeline)
        finally:
            stop.set()
            await jobs
            await worker.messaging.stop()
            await worker.engine.dispose()


async def eventually(check: Callable[[], Awaitable[bool]]) -> None:
    for _ in range(1000):
        if await check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the system never got there")


async def create_task(
    system: System, user: dict[str, str], fields: dict[str, Any] | None = None, **config: Any
) -> dict[str, str]:
    """A task row and its TaskCreatedV1 in one API transaction, as the tasks route writes them."""
    ids = await seed_task(system.api, user, config=config, **(fields or {}))
    async with services(system.api).new_unit_of_work() as uow:
        state = await task_state(uow.conn, ids["task"])
        uow.record(TaskCreatedV1(task=state), aggregate_id=state.task_id, aggregate_version=state.version)
        await uow.commit()
    return ids


async def drafts(system: System, task_id: str) -> list[Any]:
    async with system.worker.engine.connect() as conn:
        rows = await conn.execute(select(wt.hint_drafts).where(wt.hint_drafts.c.task_id == task_id))
        return list(rows.all())


async def test_a_new_task_gets_hints_and_the_worker_learns_they_were_stored(system: System) -> None:
    user = await system.api.make_user()
    ids = await create_task(system, user, auto_apply_hints=True, auto_apply_threshold=0.9)

    async def synced() -> bool:
        rows = await drafts(system, ids["task"])
        return len(rows) == 2 and all(r.status == "synced" for r in rows)

    await eventually(synced)
    hints = {h["hintType"]: h for h in await hints_of(system.api, user, ids["task"])}
    assert hints["title"]["content"] == "Call bob" and hints["title"]["status"] == "proposed"
    assert hints["priority"]["status"] == "applied" and hints["priority"]["autoApplied"] is True
    assert (await task_row(system.api, ids["task"])).priority == "HIGH"

    async def worker_sees_the_applied_hint() -> bool:
        async with system.worker.engine.connect() as conn:
            state = await conn.scalar(
                select(wt.task_snapshots.c.state).where(wt.task_snapshots.c.task_id == ids["task"])
            )
        return state is not None and state["priority"] == "HIGH"

    await eventually(worker_sees_the_applied_hint)
    assert len(system.pipeline.seen) == 1  # setting a priority is not worth a new analysis


async def jobs_of(system: System, task_id: str) -> list[tuple[str, str]]:
    async with system.worker.engine.connect() as conn:
        rows = await conn.execute(
            select(wt.agent_jobs.c.reason, wt.agent_jobs.c.status)
            .where(wt.agent_jobs.c.task_id == task_id)
            .order_by(wt.agent_jobs.c.created_at)
        )
        return [tuple(r) for r in rows.all()]  # type: ignore[misc]


async def analysed(system: System, user: dict[str, str], task_id: str, jobs: int) -> dict[str, Any]:
    """Wait until `jobs` analyses of the task have finished and the API recorded the last; its analysis."""

    async def done() -> bool:
        finished = [j for j in await jobs_of(system, task_id) if j[1] == "succeeded"]
        if len(finished) < jobs:
            return False
        reply = await system.api.client.get(f"/tasks/{task_id}/analysis", headers=user)
        async with system.worker.engine.connect() as conn:
            last = await conn.scalar(
                select(wt.agent_jobs.c.id)
                .where(wt.agent_jobs.c.task_id == task_id, wt.agent_jobs.c.status == "succeeded")
                .order_by(wt.agent_jobs.c.finished_at.desc())
                .limit(1)
            )
        return bool(reply.json()["status"] == "analysed" and reply.json()["jobId"] == last)

    await eventually(done)
    reply = await system.api.client.get(f"/tasks/{task_id}/analysis", headers=user)
    return reply.json()  # type: ignore[no-any-return]


async def rerun(system: System, user: dict[str, str], task_id: str) -> None:
    reply = await system.api.client.post(f"/tasks/{task_id}/analysis", headers=user)
    assert reply.status_code == 202


async def test_a_rerun_replaces_the_proposals_instead_of_stacking_them(system: System) -> None:
    user = await system.api.make_user()
    ids = await create_task(system, user)
    await analysed(system, user, ids["task"], jobs=1)
    first = {h["hintType"]: h for h in await hints_of(system.api, user, ids["task"])}

    await rerun(system, user, ids["task"])  # nothing changed: the same values stand, once each
    analysis = await analysed(system, user, ids["task"], jobs=2)
    again = {h["hintType"]: h for h in await hints_of(system.api, user, ids["task"])}
    assert len(await hints_of(system.api, user, ids["task"])) == 2
    assert {k: h["id"] for k, h in again.items()} == {k: h["id"] for k, h in first.items()}
    assert analysis["proposed"] == 2

    system.pipeline.make_drafts = lambda ctx: [draft("priority", confidence=0.6, data={"priority": "LOW"})]
    system.pipeline.hint_types = ("priority", "title")
    await rerun(system, user, ids["task"])  # a new value replaces the old; the type it no longer proposes goes
    await analysed(system, user, ids["task"], jobs=3)
    standing = await hints_of(system.api, user, ids["task"])
    assert [(h["hintType"], h["data"]) for h in standing] == [("priority", {"priority": "LOW"})]
    assert standing[0]["supersedes"] == first["priority"]["id"]
    old = {h["id"]: h for h in await hints_of(system.api, user, ids["task"], status="superseded")}
    assert old[first["priority"]["id"]]["supersededBy"] == standing[0]["id"]
    assert old[first["title"]["id"]]["supersededBy"] is None  # withdrawn, not replaced


async def test_a_dismissed_value_is_not_proposed_again_for_the_same_content(system: System) -> None:
    user = await system.api.make_user()
    ids = await create_task(system, user)
    await analysed(system, user, ids["task"], jobs=1)
    priority = next(h for h in await hints_of(system.api, user, ids["task"]) if h["hintType"] == "priority")
    dismissed = await system.api.client.post(f"/hints/{priority['id']}/dismiss", headers=user)
    assert dismissed.status_code == 200

    await rerun(system, user, ids["task"])
    await analysed(system, user, ids["task"], jobs=2)

    hints = await hints_of(system.api, user, ids["task"])
    assert [(h["hintType"], h["status"]) for h in hints if h["hintType"] == "priority"] == [("priority", "dismissed")]


async def test_a_task_with_nothing_to_say_is_marked_analysed(system: System) -> None:
    system.pipeline.make_drafts = lambda ctx: []
    user = await system.api.make_user()
    ids = await create_task(system, user)

    analysis = await analysed(system, user, ids["task"], jobs=1)

    assert (analysis["status"], analysis["proposed"]) == ("analysed", 0)
    assert await hints_of(system.api, user, ids["task"]) == []


async def test_a_move_or_a_priority_change_queues_no_analysis(system: System) -> None:
    user = await system.api.make_user()
    ids = await create_task(system, user)
    await analysed(system, user, ids["task"], jobs=1)

    async with services(system.api).new_unit_of_work() as uow:
        state = await task_state(uow.conn, ids["task"])
        moved = state.model_copy(update={"version": state.version + 1})
        reprioritised = moved.model_copy(update={"version": moved.version + 1, "priority": "LOW"})
        uow.record(
            TaskMovedV1(task=moved, from_column_id=ids["column"], to_column_id=ids["column"]),
            aggregate_id=state.task_id,
            aggregate_version=moved.version,
        )
        uow.record(
            TaskUpdatedV1(task=reprioritised, changed_fields=("priority",)),
            aggregate_id=state.task_id,
            aggregate_version=reprioritised.version,
        )
        await uow.commit()

    async def worker_saw_both() -> bool:
        async with system.worker.engine.connect() as conn:
            version = await conn.scalar(
                select(wt.task_snapshots.c.version).where(wt.task_snapshots.c.task_id == ids["task"])
            )
        return version == reprioritised.version

    await eventually(worker_saw_both)
    assert await jobs_of(system, ids["task"]) == [("created", "succeeded")]


@pytest.fixture
async def real_system(api_db: DatabaseUrl, worker_db: DatabaseUrl) -> AsyncIterator[System]:
    """Both services with the default agents on the local provider."""
    hub = MemoryHub()
    app = create_app(settings_for("api", api_db, worker_db), hub=hub)
    worker = build_worker_services(settings_for("worker", api_db, worker_db), hub=hub)
    runner = JobRunner(worker, config=RunnerConfig(concurrency=1, poll_seconds=0.01))
    stop = asyncio.Event()
    async with app.router.lifespan_context(app):
        await worker.messaging.start()
        jobs = asyncio.create_task(runner.run(stop))
        try:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test/api/v1") as client:
                yield System(ApiHarness(client=client, app=app), worker, FakePipeline())
        finally:
            stop.set()
            await jobs
            await worker.messaging.stop()
            await worker.engine.dispose()


async def test_applying_and_undoing_a_hint_do_not_propose_it_again(real_system: System) -> None:
    system = real_system
    user = await system.api.make_user()
    fields = {
        "title": "Set up the new laptop",
        "description": "- install the password manager\n- enable disk encryption",
    }
    ids = await create_task(system, user, fields)
    await analysed(system, user, ids["task"], jobs=1)
    before = {h["hintType"]: h["id"] for h in await hints_of(system.api, user, ids["task"])}
    actions = before["actions"]

    assert (await system.api.client.post(f"/hints/{actions}/apply", headers=user)).status_code == 200
    await analysed(system, user, ids["task"], jobs=2)  # the checklist changed: the actions agent looked again
    assert (await system.api.client.post(f"/hints/{actions}/undo", headers=user)).status_code == 200
    await analysed(system, user, ids["task"], jobs=3)  # and again, finding the steps it proposed (and was undone)

    after = await hints_of(system.api, user, ids["task"])
    assert [(h["id"], h["status"]) for h in after if h["hintType"] == "actions"] == [(actions, "undone")]
    # The other agents read nothing that changed: their proposals are the same rows, not new copies.
    assert {h["hintType"]: h["id"] for h in after if h["hintType"] != "actions"} == {
        k: v for k, v in before.items() if k != "actions"
    }
    async with system.worker.engine.connect() as conn:
        runs = await conn.execute(select(wt.agent_results.c.agent_id).where(wt.agent_results.c.task_id == ids["task"]))
        ran = [r for (r,) in runs.all()]
    assert ran.count("next-actions") == 3 and ran.count("analyzer") == 1


async def test_the_real_agents_on_the_local_provider_propose_hints(api_db: DatabaseUrl, worker_db: DatabaseUrl) -> None:
    """The default wiring (`JobRunner(services)` builds the agents' pipeline from the settings)."""
    hub = MemoryHub()
    app = create_app(settings_for("api", api_db, worker_db), hub=hub)
    worker = build_worker_services(settings_for("worker", api_db, worker_db), hub=hub)
    runner = JobRunner(worker)
    stop = asyncio.Event()
    async with app.router.lifespan_context(app):
        await worker.messaging.start()
        jobs = asyncio.create_task(runner.run(stop))
        try:
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://test/api/v1"
            ) as client:
                harness = ApiHarness(client=client, app=app)
                system = System(harness, worker, FakePipeline())
                user = await harness.make_user()
                ids = await create_task(system, user)

                async def proposed() -> bool:
                    return bool(await hints_of(harness, user, ids["task"]))

                await eventually(proposed)
                async with worker.engine.connect() as conn:
                    results = await conn.execute(select(wt.agent_results.c.agent_id, wt.agent_results.c.provider))
                    assert {provider for _, provider in results.all()} == {"local"}
        finally:
            stop.set()
            await jobs
            await worker.messaging.stop()
            await worker.engine.dispose()

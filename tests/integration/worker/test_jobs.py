"""Agent jobs on both backends: claim, lease, takeover, retry, cancel, graceful stop, and their events."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from kanban.contracts import events as ev
from kanban.contracts.envelope import Envelope
from kanban.db.types import new_id, utcnow
from kanban.db.urls import DatabaseUrl
from kanban.messaging.transports.memory import MemoryHub
from kanban.worker import tables as t
from kanban.worker.bootstrap import WorkerServices, build_worker_services
from kanban.worker.jobs.claim import claim_job
from kanban.worker.jobs.handlers import job_handlers
from kanban.worker.jobs.queue import cancel_jobs, enqueue_job
from kanban.worker.jobs.runner import JobRunner, RunnerConfig
from tests.support.pipelines import FakePipeline, draft
from tests.support.settings import settings_for

BOARD = "b0000000-0000-0000-0000-000000000001"


@pytest.fixture
async def services(worker_db: DatabaseUrl) -> AsyncIterator[WorkerServices]:
    s = build_worker_services(settings_for("worker", None, worker_db), hub=MemoryHub())
    yield s
    await s.engine.dispose()


def config(**overrides: Any) -> RunnerConfig:
    values: dict[str, Any] = {
        "concurrency": 2, "lease_seconds": 30.0, "max_attempts": 3, "poll_seconds": 0.01, "progress_interval_seconds": 0,
    }  # fmt: skip
    return RunnerConfig(**(values | overrides))


def task_state(task_id: str, version: int = 1, **fields: Any) -> ev.TaskState:
    values: dict[str, Any] = {
        "task_id": task_id,
        "board_id": BOARD,
        "owner_id": "u1",
        "column_id": "c1",
        "column_type": "INPUT",
        "title": f"Task {task_id[:4]}",
        "version": version,
        "updated_at": utcnow(),
    }
    return ev.TaskState(**(values | fields))


async def seed_task(
    services: WorkerServices, version: int = 1, queued_version: int | None = None, **fields: Any
) -> str:
    """A task snapshot and a due job for it; returns the task id."""
    task_id = new_id()
    state = task_state(task_id, version, **fields)
    async with services.engine.begin() as conn:
        await conn.execute(
            t.task_snapshots.insert().values(
                task_id=task_id,
                board_id=BOARD,
                version=version,
                state=state.model_dump(mode="json"),
                deleted=False,
                updated_at=utcnow(),
            )
        )
        await enqueue_job(conn, task_id, queued_version or version, "created", 0)
    return task_id


async def jobs_of(services: WorkerServices, task_id: str) -> list[Any]:
    async with services.engine.connect() as conn:
        return list(
            (
                await conn.execute(
                    select(t.agent_jobs).where(t.agent_jobs.c.task_id == task_id).order_by(t.agent_jobs.c.created_at)
                )
            ).all()
        )


async def outbox(services: WorkerServices, event_type: str) -> list[dict[str, Any]]:
    async with services.engine.connect() as conn:
        rows = (
            await conn.execute(
                select(t.messaging.outbox.c.envelope)
                .where(t.messaging.outbox.c.event_type == event_type)
                .order_by(t.messaging.outbox.c.seq)
            )
        ).scalars()
        return [json.loads(r)["payload"] for r in rows]


async def count(services: WorkerServices, table: Any, **where: Any) -> int:
    async with services.engine.connect() as conn:
        stmt = select(func.count()).select_from(table)
        for key, value in where.items():
            stmt = stmt.where(table.c[key] == value)
        return int(await conn.scalar(stmt) or 0)


async def run_until(runner: JobRunner, done: Any) -> None:
    """Run the runner's loop until `done()` is true, then stop it the way SIGTERM does."""
    stop = asyncio.Event()
    loop = asyncio.create_task(runner.run(stop))
    try:
        for _ in range(2000):
            if await done():
                break
            await asyncio.sleep(0.01)
        else:
            raise AssertionError("the runner never got there")
    finally:
        stop.set()
        await loop


# --- one job ----------------------------------------------------------------------------


async def test_a_job_commits_its_drafts_results_and_one_hints_event(services: WorkerServices) -> None:
    task_id = await seed_task(services)
    pipeline = FakePipeline(
        make_drafts=lambda ctx: [draft("priority", data={"priority": "HIGH"}), draft("title", content="Call Bob")]
    )
    runner = JobRunner(services, pipeline, config())

    job = await claim_job(services.engine, runner.owner, 30)
    assert job is not None and job.task_id == task_id and job.attempts == 1
    await runner.run_job(job)

    [row] = await jobs_of(services, task_id)
    assert (row.status, row.progress, row.attempts) == ("succeeded", 100, 1)
    assert await count(services, t.agent_results, job_id=job.id) == 1
    assert await count(services, t.hint_drafts, job_id=job.id, status="pending") == 2
    [proposed] = await outbox(services, "hints.proposed")
    assert proposed["job_id"] == job.id and proposed["board_id"] == BOARD
    assert {d["hint_type"] for d in proposed["drafts"]} == {"priority", "title"}
    progress = await outbox(services, "agent.progress")
    # No event of its own for the start or the end: the analysis itself says it is done.
    assert [p["percent"] for p in progress] == [50]


async def test_the_agents_read_the_latest_snapshot_the_board_tags_and_open_neighbours(services: WorkerServices) -> None:
    task_id = await seed_task(services, version=3, queued_version=1)
    neighbour = await seed_task(services, title="Neighbour")
    await seed_task(services, column_type="DONE", is_done=True)
    async with services.engine.begin() as conn:
        for name, deleted in (("home", False), ("gone", True)):
            await conn.execute(
                t.tag_snapshots.insert().values(
                    tag_id=new_id(), board_id=BOARD, name=name, version=1, deleted=deleted, updated_at=utcnow()
                )
            )
    pipeline = FakePipeline()
    runner = JobRunner(services, pipeline, config())
    job = await claim_job(services.engine, runner.owner, 30)
    while job is not None and job.task_id != task_id:  # the other seeded tasks have jobs too
        await runner.run_job(job)
        job = await claim_job(services.engine, runner.owner, 30)
    assert job is not None
    await runner.run_job(job)

    ctx = pipeline.seen[-1]
    assert ctx.task.version == 3
    assert ctx.board_tags == ("home",)
    assert [n.task_id for n in ctx.open_tasks] == [neighbour]
    assert (await outbox(services, "hints.proposed"))[-1]["task_version"] == 3


async def test_a_deleted_task_s_job_is_cancelled_without_running(services: WorkerServices) -> None:
    task_id = await seed_task(services)
    async with services.engine.begin() as conn:
        await conn.execute(update(t.task_snapshots).values(deleted=True, state=None))
    pipeline = FakePipeline()
    runner = JobRunner(services, pipeline, config())
    job = await claim_job(services.engine, runner.owner, 30)
    assert job is not None
    await runner.run_job(job)
    [row] = await jobs_of(services, task_id)
    assert row.status == "cancelled" and pipeline.seen == []


async def test_a_job_cancelled_while_running_drops_its_results(services: WorkerServices) -> None:
    task_id = await seed_task(services)

    async def cancel(_: Any) -> None:
        async with services.engine.begin() as conn:
            await cancel_jobs(conn, task_id, "cancelled by the owner")

    runner = JobRunner(services, FakePipeline(between=cancel), config())
    job = await claim_job(services.engine, runner.owner, 30)
    assert job is not None
    await runner.run_job(job)
    [row] = await jobs_of(services, task_id)
    assert row.status == "cancelled"
    assert await count(services, t.hint_drafts) == 0
    assert await outbox(services, "hints.proposed") == []


# --- failures ---------------------------------------------------------------------------


async def test_a_failing_job_is_retried_later_then_fails_with_its_error_kept(services: WorkerServices) -> None:
    task_id = await seed_task(services)
    runner = JobRunner(services, FakePipeline(fail=RuntimeError("provider down")), config(max_attempts=2))

    first = await claim_job(services.engine, runner.owner, 30)
    assert first is not None
    await runner.run_job(first)
    [row] = await jobs_of(services, task_id)
    assert (row.status, row.attempts, row.lease_owner) == ("queued", 1, None)
    assert "provider down" in row.last_error
    assert row.run_after > utcnow()
    assert await claim_job(services.engine, runner.owner, 30) is None  # backing off

    async with services.engine.begin() as conn:
        await conn.execute(update(t.agent_jobs).values(run_after=utcnow() - timedelta(seconds=1)))
    second = await claim_job(services.engine, runner.owner, 30)
    assert second is not None and second.attempts == 2
    await runner.run_job(second)
    [row] = await jobs_of(services, task_id)
    assert (row.status, row.attempts) == ("failed", 2)
    assert row.last_error == "RuntimeError: provider down"
    [failed] = await outbox(services, "analysis.failed")
    assert failed["task_id"] == task_id and "provider down" in failed["error"]


# --- claiming and leases ----------------------------------------------------------------


async def test_a_queued_job_waits_while_its_task_has_a_running_job(services: WorkerServices) -> None:
    task_id = await seed_task(services)
    runner = JobRunner(services, FakePipeline(), config())
    running = await claim_job(services.engine, runner.owner, 30)
    assert running is not None
    async with services.engine.begin() as conn:
        await enqueue_job(conn, task_id, 2, "updated", 0)  # an edit while the agents run

    assert await claim_job(services.engine, "another-worker", 30) is None
    await runner.run_job(running)
    follow_up = await claim_job(services.engine, "another-worker", 30)
    assert follow_up is not None and follow_up.id != running.id and follow_up.task_id == task_id


async def test_an_expired_lease_is_taken_over_once_and_hints_are_not_duplicated(services: WorkerServices) -> None:
    task_id = await seed_task(services)
    crashed = JobRunner(services, FakePipeline(), config(), owner="crashed-worker")
    survivor = JobRunner(services, FakePipeline(), config(), owner="survivor")
    lost = await claim_job(services.engine, crashed.owner, 30)
    assert lost is not None
    assert await claim_job(services.engine, survivor.owner, 30) is None  # the lease is still alive

    async with services.engine.begin() as conn:  # the crashed worker stopped renewing
        await conn.execute(update(t.agent_jobs).values(lease_expires_at=utcnow() - timedelta(seconds=1)))
    taken = await claim_job(services.engine, survivor.owner, 30)
    assert taken is not None and taken.id == lost.id and taken.taken_over and taken.attempts == 2
    assert await claim_job(services.engine, "third-worker", 30) is None

    await crashed.run_job(lost)  # the "dead" worker wakes up late: it no longer holds the job
    await survivor.run_job(taken)
    [row] = await jobs_of(services, task_id)
    assert (row.status, row.lease_owner) == ("succeeded", "survivor")
    assert await count(services, t.hint_drafts) == 1
    assert len(await outbox(services, "hints.proposed")) == 1


async def test_the_heartbeat_keeps_a_long_job_s_lease(services: WorkerServices) -> None:
    await seed_task(services)
    gate = asyncio.Event()
    pipeline = FakePipeline(gate=gate)
    # Long enough that a loaded machine's late heartbeat still renews it; the wait below has a deadline.
    runner = JobRunner(services, pipeline, config(lease_seconds=1.5))
    job = await claim_job(services.engine, runner.owner, 1.5)
    assert job is not None
    work = asyncio.create_task(runner.run_job(job))
    await pipeline.started.wait()
    async with services.engine.connect() as conn:
        first = await conn.scalar(select(t.agent_jobs.c.lease_expires_at))
    deadline = asyncio.get_running_loop().time() + 60
    while asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.05)
        async with services.engine.connect() as conn:
            renewed = await conn.scalar(select(t.agent_jobs.c.lease_expires_at))
        if renewed > first:
            break
    assert renewed > first
    gate.set()
    await work


# --- the loop ---------------------------------------------------------------------------


async def test_two_runners_never_run_the_same_job(services: WorkerServices, worker_db: DatabaseUrl) -> None:
    task_ids = [await seed_task(services) for _ in range(12)]
    other = build_worker_services(settings_for("worker", None, worker_db), hub=MemoryHub())
    pipelines = [FakePipeline(), FakePipeline()]
    runners = [JobRunner(services, pipelines[0], config()), JobRunner(other, pipelines[1], config())]

    async def all_done() -> bool:
        return await count(services, t.agent_jobs, status="succeeded") == len(task_ids)

    stop = asyncio.Event()
    loops = [asyncio.create_task(r.run(stop)) for r in runners]
    try:
        for _ in range(3000):
            if await all_done():
                break
            await asyncio.sleep(0.01)
    finally:
        stop.set()
        await asyncio.gather(*loops)
        await other.engine.dispose()

    analysed = [ctx.task.task_id for p in pipelines for ctx in p.seen]
    assert sorted(analysed) == sorted(task_ids)
    assert len(await outbox(services, "hints.proposed")) == len(task_ids)


async def test_stopping_gives_back_the_lease_of_a_job_that_does_not_finish(services: WorkerServices) -> None:
    task_id = await seed_task(services)
    pipeline = FakePipeline(gate=asyncio.Event())  # never opens
    runner = JobRunner(services, pipeline, config(stop_grace_seconds=0.05))
    stop = asyncio.Event()
    loop = asyncio.create_task(runner.run(stop))
    await pipeline.started.wait()
    stop.set()
    await loop
    [row] = await jobs_of(services, task_id)
    assert (row.status, row.attempts, row.lease_owner) == ("queued", 0, None)
    assert await count(services, t.hint_drafts) == 0


async def test_stopping_lets_a_running_job_finish(services: WorkerServices) -> None:
    task_id = await seed_task(services)
    gate = asyncio.Event()
    pipeline = FakePipeline(gate=gate)
    runner = JobRunner(services, pipeline, config(stop_grace_seconds=30))
    stop = asyncio.Event()
    loop = asyncio.create_task(runner.run(stop))
    await pipeline.started.wait()
    stop.set()
    await asyncio.sleep(0)
    gate.set()
    await loop
    [row] = await jobs_of(services, task_id)
    assert row.status == "succeeded"


async def test_the_loop_runs_due_jobs(services: WorkerServices) -> None:
    task_id = await seed_task(services)
    runner = JobRunner(services, FakePipeline(), config())

    async def succeeded() -> bool:
        return [r.status for r in await jobs_of(services, task_id)] == ["succeeded"]

    await run_until(runner, succeeded)


# --- the Worker's handlers --------------------------------------------------------------


def envelope() -> Envelope:
    from uuid import uuid4

    return Envelope(
        type="x",
        version=1,
        source="api",
        correlation_id=uuid4(),
        aggregate_type="analysis",
        aggregate_id="t",
        payload={},
    )


async def handle(services: WorkerServices, event: ev.Event) -> None:
    async with services.new_unit_of_work() as uow:
        await job_handlers()[event.TYPE](event, envelope(), uow)
        await uow.commit()


async def test_a_rerun_request_queues_a_job_now_unless_the_task_is_gone(services: WorkerServices) -> None:
    task_id = await seed_task(services, version=4)
    runner = JobRunner(services, FakePipeline(), config())
    job = await claim_job(services.engine, runner.owner, 30)
    assert job is not None
    await runner.run_job(job)

    await handle(services, ev.AnalysisRequestedV1(task_id=task_id))
    rerun = [r for r in await jobs_of(services, task_id) if r.status == "queued"]
    assert [(r.reason, r.task_version) for r in rerun] == [("rerun", 4)]
    assert rerun[0].run_after <= utcnow()

    await handle(services, ev.AnalysisRequestedV1(task_id=new_id()))  # unknown task
    assert await count(services, t.agent_jobs) == 2


async def test_a_cancel_request_cancels_queued_and_running_jobs(services: WorkerServices) -> None:
    task_id = await seed_task(services)
    assert await claim_job(services.engine, "w", 30) is not None
    async with services.engine.begin() as conn:
        await enqueue_job(conn, task_id, 2, "updated", 0)
    await handle(services, ev.AnalysisCancelledV1(task_id=task_id))
    assert [r.status for r in await jobs_of(services, task_id)] == ["cancelled", "cancelled"]


async def test_hints_synced_marks_those_drafts_synced(services: WorkerServices) -> None:
    await seed_task(services)
    runner = JobRunner(services, FakePipeline(make_drafts=lambda ctx: [draft("priority"), draft("context")]), config())
    job = await claim_job(services.engine, runner.owner, 30)
    assert job is not None
    await runner.run_job(job)
    [proposed] = await outbox(services, "hints.proposed")
    first = proposed["drafts"][0]["draft_id"]

    await handle(services, ev.HintsSyncedV1(task_id=job.task_id, draft_ids=(first,)))
    assert await count(services, t.hint_drafts, status="synced") == 1
    assert await count(services, t.hint_drafts, status="pending") == 1


async def test_a_fast_job_reports_no_progress_of_its_own(services: WorkerServices) -> None:
    """Intermediate progress is throttled, so a quick analysis costs no progress event at all, not one per agent."""
    task_id = await seed_task(services)
    runner = JobRunner(services, FakePipeline(), config(progress_interval_seconds=60))
    job = await claim_job(services.engine, runner.owner, 30)
    assert job is not None and job.task_id == task_id
    await runner.run_job(job)
    progress = await outbox(services, "agent.progress")
    assert progress == []

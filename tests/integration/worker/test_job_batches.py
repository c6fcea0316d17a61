"""Jobs claimed and committed in batches, and the slow agents' second proposal, on both backends."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from kanban.db.types import utcnow
from kanban.db.urls import DatabaseUrl
from kanban.messaging.transports.memory import MemoryHub
from kanban.worker import tables as t
from kanban.worker.agents.pipeline import Pipeline
from kanban.worker.bootstrap import WorkerServices, build_worker_services
from kanban.worker.fetching.page import FetchedPage
from kanban.worker.jobs.claim import claim_job, claim_jobs
from kanban.worker.jobs.queue import BULK_BACKLOG
from kanban.worker.jobs.runner import JobRunner
from kanban.worker.providers.local import LocalProvider
from tests.integration.worker.test_jobs import config, count, jobs_of, outbox, seed_task
from tests.support.pipelines import FakePipeline, draft
from tests.support.settings import settings_for


@pytest.fixture
async def services(worker_db: DatabaseUrl) -> AsyncIterator[WorkerServices]:
    s = build_worker_services(settings_for("worker", None, worker_db), hub=MemoryHub())
    yield s
    await s.engine.dispose()


async def test_due_jobs_are_claimed_together_and_each_task_gets_its_own_proposal(services: WorkerServices) -> None:
    tasks = [await seed_task(services, title=f"Task number {n}") for n in range(5)]
    runner = JobRunner(services, FakePipeline(make_drafts=lambda ctx: [draft("priority")]), config())

    claim = await claim_jobs(services.engine, runner.owner, 30, limit=3)
    assert len(claim.jobs) == 3 and len({job.task_id for job in claim.jobs}) == 3
    rest = await claim_jobs(services.engine, runner.owner, 30, limit=10)
    assert len(rest.jobs) == 2  # the first batch's jobs are running: not claimed twice
    assert {job.task_id for job in claim.jobs + rest.jobs} == set(tasks)
    empty = await claim_jobs(services.engine, runner.owner, 30, limit=10)
    assert empty.jobs == [] and empty.next_due_in is None  # nothing queued at all

    await runner.run_jobs(claim.jobs)
    proposed = await outbox(services, "hints.proposed")
    assert sorted(p["task_id"] for p in proposed) == sorted(job.task_id for job in claim.jobs)
    for job in claim.jobs:
        [row] = await jobs_of(services, job.task_id)
        assert row.status == "succeeded"
        assert await count(services, t.hint_drafts, job_id=job.id) == 1
        assert await count(services, t.agent_results, job_id=job.id) == 1


async def test_a_batch_drops_only_the_job_whose_claim_was_lost(services: WorkerServices) -> None:
    kept_task, lost_task = await seed_task(services), await seed_task(services)
    runner = JobRunner(services, FakePipeline(), config())
    claim = await claim_jobs(services.engine, runner.owner, 30, limit=10)
    lost = next(job for job in claim.jobs if job.task_id == lost_task)
    async with services.engine.begin() as conn:  # another worker took this one over meanwhile
        await conn.execute(t.agent_jobs.update().where(t.agent_jobs.c.id == lost.id).values(lease_owner="other"))

    await runner.run_jobs(claim.jobs)

    assert [p["task_id"] for p in await outbox(services, "hints.proposed")] == [kept_task]
    assert await count(services, t.hint_drafts, task_id=lost_task) == 0
    [row] = await jobs_of(services, lost_task)
    assert (row.status, row.lease_owner) == ("running", "other")  # left to the worker that holds it


async def test_a_deleted_task_in_a_batch_is_cancelled_and_the_others_run(services: WorkerServices) -> None:
    live, deleted = await seed_task(services), await seed_task(services)
    async with services.engine.begin() as conn:
        await conn.execute(
            t.task_snapshots.update().where(t.task_snapshots.c.task_id == deleted).values(deleted=True, state=None)
        )
    runner = JobRunner(services, FakePipeline(), config())
    await runner.run_jobs((await claim_jobs(services.engine, runner.owner, 30, limit=10)).jobs)
    assert [r.status for r in await jobs_of(services, live)] == ["succeeded"]
    assert [r.status for r in await jobs_of(services, deleted)] == ["cancelled"]


class SlowPage:
    """A page fetcher that serves a page only once `release` is set."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.asked = asyncio.Event()

    async def fetch(self, url: str) -> FetchedPage:
        self.asked.set()
        await self.release.wait()
        body = b"<html><head><title>Trip notes</title></head><body><p>" + b"Pack light and book early. " * 8
        return FetchedPage(
            url=url,
            status=200,
            content_type="text/html",
            charset="utf-8",
            body=body + b"</p></body></html>",
            truncated=False,
        )


async def proposals(services: WorkerServices) -> list[dict[str, Any]]:
    return await outbox(services, "hints.proposed")


async def test_the_first_hints_do_not_wait_for_a_linked_page(services: WorkerServices) -> None:
    task_id = await seed_task(services, title="Read https://example.org/trip before Friday")
    page = SlowPage()
    runner = JobRunner(services, Pipeline(LocalProvider(), page), config())
    job = await claim_job(services.engine, runner.owner, 30)
    assert job is not None
    run = asyncio.create_task(runner.run_job(job))

    async def first_proposal() -> list[dict[str, Any]]:
        for _ in range(2000):
            found = await proposals(services)
            if found:
                return found
            await asyncio.sleep(0.01)
        raise AssertionError("no proposal while the page was being fetched")

    [first] = await first_proposal()
    await page.asked.wait()
    assert "context" in first["analysed_types"] and "summary" not in first["analysed_types"]
    assert [r.status for r in await jobs_of(services, task_id)] == ["running"]  # the page is still to come

    page.release.set()
    await run
    [_, second] = await proposals(services)
    assert second["analysed_types"] == ["summary"]
    assert [d["hint_type"] for d in second["drafts"]] == ["summary"]
    assert [r.status for r in await jobs_of(services, task_id)] == ["succeeded"]
    async with services.engine.connect() as conn:
        agents = set((await conn.execute(select(t.agent_inputs.c.agent_id))).scalars())
    assert "linked-page" in agents and "analyzer" in agents  # a re-run after a crash skips both parts' agents


def held_back(title: str, gate: asyncio.Event) -> Any:
    """A `between` hook that holds the run of the task titled `title` until `gate` is set."""

    async def between(ctx: Any) -> None:
        if ctx.task.title == title:
            await gate.wait()

    return between


async def wait_for_proposals(services: WorkerServices, n: int) -> list[dict[str, Any]]:
    for _ in range(2000):
        found = await proposals(services)
        if len(found) >= n:
            return found
        await asyncio.sleep(0.01)
    raise AssertionError(f"fewer than {n} proposals while the batch was still running")


@pytest.mark.parametrize("in_process", [True, False], ids=["one-after-another", "side-by-side"])
async def test_a_task_s_hints_leave_before_the_rest_of_its_batch_is_done(
    services: WorkerServices, in_process: bool
) -> None:
    first, second, last = [await seed_task(services, title=f"Task number {n}") for n in range(3)]
    gate = asyncio.Event()
    pipeline = FakePipeline(between=held_back("Task number 2", gate), runs_in_process=in_process)
    runner = JobRunner(services, pipeline, config())
    claim = await claim_jobs(services.engine, runner.owner, 30, limit=10)
    assert len(claim.jobs) == 3  # one batch
    run = asyncio.create_task(runner.run_jobs(claim.jobs))

    # One after another, the first job's hints commit at once and the next within commit_every_seconds
    # (here held back with the last); side by side, each commits as it finishes.
    done = await wait_for_proposals(services, 1 if in_process else 2)
    assert first in {p["task_id"] for p in done} and last not in {p["task_id"] for p in done}
    assert [r.status for r in await jobs_of(services, first)] == ["succeeded"]  # in the outbox for the relay
    assert [r.status for r in await jobs_of(services, last)] == ["running"]

    gate.set()
    await run
    assert sorted(p["task_id"] for p in await proposals(services)) == sorted([first, second, last])
    assert await count(services, t.hint_drafts) == 3


async def test_a_worker_killed_mid_batch_loses_and_doubles_no_hint(services: WorkerServices) -> None:
    tasks = [await seed_task(services, title=f"Task number {n}") for n in range(4)]
    gate = asyncio.Event()  # never set: the worker dies while task 2 is being analysed
    crashed = JobRunner(
        services,
        FakePipeline(between=held_back("Task number 2", gate), runs_in_process=True),
        config(),
        owner="crashed",
    )
    claim = await claim_jobs(services.engine, crashed.owner, 30, limit=10)
    run = asyncio.create_task(crashed.run_jobs(claim.jobs))
    committed = {p["task_id"] for p in await wait_for_proposals(services, 1)}
    run.cancel()  # like SIGKILL: nothing is given back, the leases of the unfinished jobs just stop being renewed
    with contextlib.suppress(asyncio.CancelledError):
        await run
    async with services.engine.begin() as conn:  # their leases run out
        await conn.execute(
            update(t.agent_jobs)
            .where(t.agent_jobs.c.status == "running")
            .values(lease_expires_at=utcnow() - timedelta(seconds=1))
        )

    survivor = JobRunner(services, FakePipeline(runs_in_process=True), config(), owner="survivor")
    taken = await claim_jobs(services.engine, survivor.owner, 30, limit=10)
    assert tasks[0] in committed and tasks[2] not in committed
    assert sorted(job.task_id for job in taken.jobs) == sorted(set(tasks) - committed)  # only what was not committed
    await survivor.run_jobs(taken.jobs)

    assert sorted(p["task_id"] for p in await proposals(services)) == sorted(tasks)  # each task exactly once
    assert await count(services, t.hint_drafts) == 4
    for task_id in tasks:
        assert [r.status for r in await jobs_of(services, task_id)] == ["succeeded"]


async def test_a_batch_cancelled_at_any_turn_of_the_loop_ends_cancelled(services: WorkerServices) -> None:
    # A stop cancels the batch. Whatever the batch is awaiting at that turn (an agent, a commit, the
    # cleanup of a finished job's tasks), the cancellation must end it: a batch that ran on instead
    # was never done, and the worker waited for it to stop forever.
    for turns in range(100):
        titles = [f"Turn {turns} task {n}" for n in range(3)]
        for title in titles:
            await seed_task(services, title=title)
        gate = asyncio.Event()  # opened once cancelled: a batch that swallowed it would finish normally
        runner = JobRunner(
            services,
            FakePipeline(between=held_back(titles[2], gate), runs_in_process=True),
            config(),
            owner=f"turn-{turns}",
        )
        claim = await claim_jobs(services.engine, runner.owner, 30, limit=10)
        run = asyncio.create_task(runner.run_jobs(claim.jobs))
        for _ in range(turns):
            await asyncio.sleep(0)
        run.cancel()
        gate.set()
        with contextlib.suppress(asyncio.CancelledError):
            await run
        assert run.cancelled(), f"the batch ran on after a cancel at turn {turns}"


async def test_a_board_s_jobs_stay_first_come_first_served_while_its_backlog_drains(services: WorkerServices) -> None:
    older = [await seed_task(services, title=f"Task number {n}") for n in range(BULK_BACKLOG + 2)]
    runner = JobRunner(services, FakePipeline(), config())
    assert len((await claim_jobs(services.engine, runner.owner, 30, limit=15)).jobs) == 15  # backlog now below the mark

    newer = await seed_task(services, title="Created after the first batch was claimed")
    claim = await claim_jobs(services.engine, runner.owner, 30, limit=len(older))
    order = [job.task_id for job in claim.jobs]
    assert order[-1] == newer and set(order[:-1]) == set(older[15:])  # it did not overtake the older ones

"""Runs agent jobs: claim under a lease, keep the lease alive, run the agents, commit the drafts once.

`worker_concurrency` slots each run one job at a time. A job's results commit in ONE transaction
with its `HintsProposedV1` event, and only while this worker still holds the job; a job that was
cancelled or taken over meanwhile drops its results. A failure is retried with backoff until
`job_max_attempts`, then the job ends `failed` with its error kept and an `AnalysisFailedV1`.
On stop no new job is claimed; running jobs get a bounded time to finish, else their lease is
given back so another worker (or the next start) runs them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from pydantic_core import to_jsonable_python
from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError

from kanban.contracts.events import AgentProgressV1, AnalysisFailedV1, HintDraft, HintsProposedV1
from kanban.db.types import new_id, utcnow
from kanban.messaging.backoff import Backoff
from kanban.messaging.runtime import process_owner_id
from kanban.messaging.unit_of_work import UnitOfWork
from kanban.messaging.wakeup import Wakeup
from kanban.worker.agents.pipeline import AgentContext, AgentOutcome, build_pipeline
from kanban.worker.jobs.claim import ClaimedJob, claim_job, held, release_lease, renew_lease, requeue
from kanban.worker.jobs.inputs import JobInput, load_job_input
from kanban.worker.tables import agent_jobs, agent_results, hint_drafts, task_snapshots

log = logging.getLogger(__name__)

ProgressCallback = Callable[[str, int], Awaitable[None]]


class PipelineLike(Protocol):
    """The port the runner needs from the agents (kanban.worker.agents.pipeline.Pipeline)."""

    async def run(self, ctx: AgentContext, on_progress: ProgressCallback) -> Sequence[AgentOutcome]: ...


class ServicesLike(Protocol):
    @property
    def engine(self) -> Any: ...
    @property
    def settings(self) -> Any: ...
    def new_unit_of_work(self) -> UnitOfWork: ...


@dataclass(frozen=True)
class RunnerConfig:
    concurrency: int = 2
    lease_seconds: float = 30.0
    max_attempts: int = 5
    poll_seconds: float = 0.25
    # Intermediate progress is reported at most this often: a fast job costs two progress
    # events (start, done), a slow one a steady trickle of real percentages.
    progress_interval_seconds: float = 0.25
    stop_grace_seconds: float = 10.0
    retry: Backoff = field(default_factory=lambda: Backoff(base_seconds=2.0, max_seconds=300.0))

    @classmethod
    def from_settings(cls, settings: Any) -> RunnerConfig:
        return cls(
            concurrency=settings.worker_concurrency,
            lease_seconds=settings.job_lease_seconds,
            max_attempts=settings.job_max_attempts,
            stop_grace_seconds=min(10.0, settings.job_lease_seconds / 2),
        )


def agent_context(job_input: JobInput) -> AgentContext:
    return AgentContext(task=job_input.task, board_tags=job_input.board_tags, open_tasks=job_input.open_tasks)


class JobRunner:
    def __init__(
        self,
        services: ServicesLike,
        pipeline: PipelineLike | None = None,
        config: RunnerConfig | None = None,
        owner: str | None = None,
    ) -> None:
        self._services = services
        self._pipeline = pipeline
        self.config = config or RunnerConfig.from_settings(services.settings)
        self.owner = owner or f"{process_owner_id()}:{uuid.uuid4().hex[:8]}"
        self._queued: Wakeup = getattr(services, "jobs_queued", None) or Wakeup()

    @property
    def pipeline(self) -> PipelineLike:
        if self._pipeline is None:
            self._pipeline = build_pipeline(self._services.settings)
        return self._pipeline

    # --- the loop -------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Run jobs in `concurrency` slots until `stop` is set; returns when every slot has let go."""
        slots = [asyncio.create_task(self._slot(stop), name=f"job-slot-{i}") for i in range(self.config.concurrency)]
        await asyncio.gather(*slots)

    async def _slot(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                job = await claim_job(self._services.engine, self.owner, self.config.lease_seconds)
            except Exception:
                log.exception("job runner %s: claiming failed", self.owner)
                job = None
            if job is None:
                # Woken at once when this process queued a job; polling covers other processes' jobs.
                await self._queued.wait(self.config.poll_seconds)
                continue
            await self._run_until_stopped(job, stop)

    async def _run_until_stopped(self, job: ClaimedJob, stop: asyncio.Event) -> None:
        work = asyncio.create_task(self.run_job(job), name=f"job-{job.id}")
        stopping = asyncio.create_task(stop.wait())
        try:
            await asyncio.wait({work, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if work.done():
                return
            try:
                await asyncio.wait_for(asyncio.shield(work), self.config.stop_grace_seconds)
            except TimeoutError:
                work.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await work
                released = await release_lease(self._services.engine, job)
                log.info("job %s: worker stopping; lease given back (%s)", job.id, released)
        finally:
            stopping.cancel()

    # --- one job --------------------------------------------------------------------------

    async def run_job(self, job: ClaimedJob) -> None:
        """Run one claimed job to its end (succeeded, retried, failed or dropped). Never raises, except cancel."""
        try:
            async with self._services.engine.connect() as conn:
                job_input = await load_job_input(conn, job.task_id)
            if job_input is None:
                await self._end(job, "cancelled", "task deleted")
                return
            outcomes = await self._run_agents(job, job_input)
            if outcomes is not None:
                await self._complete(job, job_input, outcomes)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            # Loop boundary for one job: logged with its id, then retried or failed.
            log.warning("job %s (task %s) attempt %d failed: %r", job.id, job.task_id, job.attempts, exc)
            await self._fail(job, f"{type(exc).__name__}: {exc}")

    async def _run_agents(self, job: ClaimedJob, job_input: JobInput) -> Sequence[AgentOutcome] | None:
        """The agents' outcomes, or None when the claim was lost while they ran."""
        lost = asyncio.Event()
        board_id = job_input.task.board_id

        last_report = {"at": -1.0}
        loop = asyncio.get_running_loop()

        async def on_progress(stage: str, percent: int) -> None:
            if 0 < percent < 100 and loop.time() - last_report["at"] < self.config.progress_interval_seconds:
                return
            last_report["at"] = loop.time()
            if not await self._report_progress(job, board_id, stage, percent):
                lost.set()

        heartbeat = asyncio.create_task(self._heartbeat(job, lost))
        await on_progress("started", 0)
        work = asyncio.create_task(self.pipeline.run(agent_context(job_input), on_progress))
        lost_wait = asyncio.create_task(lost.wait())
        try:
            await asyncio.wait({work, lost_wait}, return_when=asyncio.FIRST_COMPLETED)
            if not work.done():
                log.info("job %s: cancelled or taken over while running; its results are dropped", job.id)
                return None
            return work.result()
        finally:
            for task in (work, heartbeat, lost_wait):
                task.cancel()
            for task in (work, heartbeat, lost_wait):
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    async def _heartbeat(self, job: ClaimedJob, lost: asyncio.Event) -> None:
        interval = self.config.lease_seconds / 3
        while not lost.is_set():
            await asyncio.sleep(interval)
            try:
                if not await renew_lease(self._services.engine, job, self.config.lease_seconds):
                    lost.set()
            except Exception as exc:
                # Loop boundary: the lease still has time left; the next beat tries again.
                log.warning("job %s: lease renewal failed: %r", job.id, exc)

    async def _report_progress(self, job: ClaimedJob, board_id: str, stage: str, percent: int) -> bool:
        """Record progress in a small transaction; False when the claim was lost."""
        percent = max(0, min(100, int(percent)))
        try:
            async with self._services.new_unit_of_work() as uow:
                result = await uow.conn.execute(
                    update(agent_jobs).where(held(job)).values(progress=percent, updated_at=utcnow())
                )
                if result.rowcount != 1:
                    return False
                uow.record(
                    AgentProgressV1(
                        task_id=job.task_id,
                        board_id=board_id,
                        job_id=job.id,
                        stage=stage,
                        percent=percent,
                        status="running",
                    ),
                    aggregate_id=job.task_id,
                )
                await uow.commit()
        except SQLAlchemyError as exc:
            # Progress is informative only: a failed report must not fail the analysis.
            log.warning("job %s: progress %s not recorded: %r", job.id, stage, exc)
        return True

    async def _complete(self, job: ClaimedJob, job_input: JobInput, outcomes: Sequence[AgentOutcome]) -> None:
        task = job_input.task
        now = utcnow()
        drafts = [draft for outcome in outcomes for draft in outcome.drafts]
        async with self._services.new_unit_of_work() as uow:
            result = await uow.conn.execute(
                update(agent_jobs)
                .where(held(job))
                .values(
                    status="succeeded",
                    progress=100,
                    lease_expires_at=None,
                    last_error=None,
                    finished_at=now,
                    updated_at=now,
                )
            )
            if result.rowcount != 1:
                log.info("job %s: claim lost before commit; %d draft(s) dropped", job.id, len(drafts))
                return
            if outcomes:
                await uow.conn.execute(agent_results.insert(), [_result_row(job, o, now) for o in outcomes])
            if drafts:
                await uow.conn.execute(hint_drafts.insert(), [_draft_row(job, d, now) for d in drafts])
                uow.record(
                    HintsProposedV1(
                        task_id=task.task_id,
                        board_id=task.board_id,
                        job_id=job.id,
                        task_version=task.version,
                        drafts=tuple(drafts),
                    ),
                    aggregate_id=task.task_id,
                )
            uow.record(
                AgentProgressV1(
                    task_id=task.task_id,
                    board_id=task.board_id,
                    job_id=job.id,
                    stage="done",
                    percent=100,
                    status="succeeded",
                ),
                aggregate_id=task.task_id,
            )
            await uow.commit()

    async def _fail(self, job: ClaimedJob, error: str) -> None:
        error = error[:2000]
        if job.attempts < self.config.max_attempts:
            async with self._services.new_unit_of_work() as uow:
                delay = self.config.retry.delay(job.attempts)
                if await requeue(uow.conn, job, run_after_seconds=delay, error=error, count_attempt=True):
                    await uow.commit()
            return
        board_id = await self._board_of(job)
        async with self._services.new_unit_of_work() as uow:
            now = utcnow()
            result = await uow.conn.execute(
                update(agent_jobs)
                .where(held(job))
                .values(status="failed", last_error=error, lease_expires_at=None, finished_at=now, updated_at=now)
            )
            if result.rowcount != 1:
                return
            if board_id is not None:
                uow.record(
                    AnalysisFailedV1(task_id=job.task_id, board_id=board_id, job_id=job.id, error=error),
                    aggregate_id=job.task_id,
                )
            await uow.commit()
        log.error("job %s (task %s) failed after %d attempts: %s", job.id, job.task_id, job.attempts, error)

    async def _end(self, job: ClaimedJob, status: str, reason: str) -> None:
        now = utcnow()
        async with self._services.engine.begin() as conn:
            await conn.execute(
                update(agent_jobs)
                .where(held(job))
                .values(status=status, last_error=reason, lease_expires_at=None, finished_at=now, updated_at=now)
            )

    async def _board_of(self, job: ClaimedJob) -> str | None:
        async with self._services.engine.connect() as conn:
            board: str | None = await conn.scalar(
                select(task_snapshots.c.board_id).where(task_snapshots.c.task_id == job.task_id)
            )
        return board


def _result_row(job: ClaimedJob, outcome: AgentOutcome, now: Any) -> dict[str, Any]:
    return {
        "id": new_id(),
        "job_id": job.id,
        "task_id": job.task_id,
        "agent_id": outcome.agent_id,
        "provider": outcome.provider,
        "output": to_jsonable_python(outcome.output) if outcome.output is not None else None,
        "error": outcome.error,
        "duration_ms": float(outcome.duration_ms),
        "created_at": now,
    }


def _draft_row(job: ClaimedJob, draft: HintDraft, now: Any) -> dict[str, Any]:
    return {
        "id": draft.draft_id,
        "job_id": job.id,
        "task_id": job.task_id,
        "agent_id": draft.agent_id,
        "hint_type": draft.hint_type,
        "title": draft.title,
        "content": draft.content,
        "data": draft.data,
        "confidence": draft.confidence,
        "untrusted": draft.untrusted,
        "status": "pending",
        "created_at": now,
    }



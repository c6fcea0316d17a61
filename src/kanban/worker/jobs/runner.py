"""Runs agent jobs: claim under a lease, keep the lease alive, run the agents, commit the drafts once.

`worker_concurrency` slots each run one job at a time. A job's results commit in ONE transaction
with its `HintsProposedV2` event, and only while this worker still holds the job; a job that was
cancelled or taken over meanwhile drops its results. A failure is retried with backoff until
`job_max_attempts`, then the job ends `failed` with its error kept and an `AnalysisFailedV1`.
On stop no new job is claimed; running jobs get a bounded time to finish, else their lease is
given back so another worker (or the next start) runs them.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from pydantic_core import to_jsonable_python
from sqlalchemy import bindparam, delete, select, tuple_, update
from sqlalchemy.exc import SQLAlchemyError

from kanban.contracts.events import AgentProgressV1, AnalysisFailedV1, HintDraft, HintsProposedV2
from kanban.db.types import new_id, utcnow
from kanban.messaging.backoff import Backoff
from kanban.messaging.cancelling import cancel_and_wait
from kanban.messaging.runtime import process_owner_id
from kanban.messaging.unit_of_work import UnitOfWork
from kanban.messaging.wakeup import Wakeup
from kanban.worker.agents.fingerprints import content_basis
from kanban.worker.agents.pipeline import AgentContext, AgentOutcome, build_pipeline
from kanban.worker.jobs.claim import (
    HELD_ALL,
    Claim,
    ClaimedJob,
    claim_jobs,
    held,
    held_params,
    release_lease,
    renew_leases,
    requeue,
)
from kanban.worker.jobs.commits import GroupCommit
from kanban.worker.jobs.inputs import JobInput, load_job_inputs
from kanban.worker.tables import agent_inputs, agent_jobs, agent_results, hint_drafts, task_snapshots

log = logging.getLogger(__name__)

# An idle slot's polling backs off to this; a job queued in this process still wakes it at once.
MAX_IDLE_POLL_SECONDS = 5.0

ProgressCallback = Callable[[str, int], Awaitable[None]]


class PipelineLike(Protocol):
    """The port the runner needs from the agents (kanban.worker.agents.pipeline.Pipeline)."""

    def input_keys(self, ctx: AgentContext) -> dict[str, str]: ...

    def slow_agents(self, ctx: AgentContext) -> frozenset[str]: ...

    @property
    def runs_in_process(self) -> bool: ...

    async def run(
        self, ctx: AgentContext, on_progress: ProgressCallback, skip: Collection[str] = ()
    ) -> Sequence[AgentOutcome]: ...


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
    # Due jobs a slot claims at once: a burst of new tasks costs a claim, a read and a commit per
    # batch instead of per task, while one job alone still starts at once.
    batch_size: int = 16
    # Intermediate progress is reported at most this often, and only once a job has run that
    # long: a fast job costs no progress event of its own (its completion says "done"), a slow
    # one a steady trickle of real percentages.
    progress_interval_seconds: float = 0.25
    # With agents that only compute, a batch's finished jobs commit together at most this often
    # (the first at once): a first hint waits for a few other tasks at most, a burst costs a few
    # commits per batch rather than one per task.
    commit_every_seconds: float = 0.05
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


@dataclass
class _Work:
    """One claimed job of a batch while it runs."""

    job: ClaimedJob
    input: JobInput
    ctx: AgentContext
    lost: asyncio.Event = field(default_factory=asyncio.Event)
    finished: bool = False


@dataclass(frozen=True)
class _Part:
    """What a part of a job's agents produced, committed together with the other jobs' parts."""

    work: _Work
    outcomes: Sequence[AgentOutcome]
    final: bool  # the job ends with this part (no slow agents left to run)


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
        """Claim due jobs in batches and run up to `concurrency` batches at once, until `stop` is set.

        One claimer per runner: a queued job costs one claim, not one per idle slot. Returns when
        every running batch has let go.
        """
        running: set[asyncio.Task[None]] = set()
        stopping = asyncio.create_task(stop.wait())
        idle = self.config.poll_seconds
        try:
            while not stop.is_set():
                running = {task for task in running if not task.done()}
                if len(running) >= self.config.concurrency:
                    await asyncio.wait(running | {stopping}, return_when=asyncio.FIRST_COMPLETED)
                    continue
                try:
                    claim = await claim_jobs(
                        self._services.engine,
                        self.owner,
                        self.config.lease_seconds,
                        self.config.batch_size,
                        read=load_job_inputs,
                    )
                except Exception:
                    log.exception("job runner %s: claiming failed", self.owner)
                    claim = Claim([], None)
                if claim.jobs:
                    idle = self.config.poll_seconds
                    running.add(asyncio.create_task(self._run_until_stopped(claim.jobs, claim.inputs, stop)))
                    if len(claim.jobs) == self.config.batch_size:
                        continue  # a full batch: more may be due now
                    await self._wait_for_work(idle, running, stopping, due=None)
                    continue
                # An idle runner looks less and less often (this process's own jobs wake it at once).
                woken = await self._wait_for_work(idle, running, stopping, due=claim.next_due_in)
                idle = self.config.poll_seconds if woken else min(idle * 2, MAX_IDLE_POLL_SECONDS)
        finally:
            stopping.cancel()
            await asyncio.gather(*running)

    async def _wait_for_work(
        self, poll: float, running: set[asyncio.Task[None]], stopping: asyncio.Task[Any], due: float | None
    ) -> bool:
        """Wait until there is (or may be) work; True when there is: a job came due or was queued.

        A queued job starts after its debounce; claiming before then costs a write transaction that
        finds nothing, so the runner sleeps until the earliest start instead. `due` 0 is a job held
        back behind its task's running one: the end of a running batch lets it go. Polling still
        covers jobs other processes queue.
        """
        if due:
            sleeper = asyncio.create_task(asyncio.sleep(min(due, poll)))
            await asyncio.wait({sleeper, stopping}, return_when=asyncio.FIRST_COMPLETED)
            sleeper.cancel()
            return True
        waiter = asyncio.create_task(self._queued.wait(poll))
        watched = {waiter, stopping} | (running if due == 0 else set())
        done, _ = await asyncio.wait(watched, return_when=asyncio.FIRST_COMPLETED)
        if waiter not in done:
            await cancel_and_wait(waiter)
            return bool(done & running)
        return waiter.result()

    async def _run_until_stopped(
        self, jobs: Sequence[ClaimedJob], inputs: dict[str, JobInput | None] | None, stop: asyncio.Event
    ) -> None:
        work = asyncio.create_task(self.run_jobs(jobs, inputs), name=f"jobs-{jobs[0].id}+{len(jobs) - 1}")
        stopping = asyncio.create_task(stop.wait())
        try:
            await asyncio.wait({work, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if work.done():
                return
            try:
                await asyncio.wait_for(asyncio.shield(work), self.config.stop_grace_seconds)
            except TimeoutError:
                await cancel_and_wait(work)
                for job in jobs:  # a job that already ended is no longer held: giving it back changes nothing
                    if await release_lease(self._services.engine, job):
                        log.info("job %s: worker stopping; lease given back", job.id)
        finally:
            stopping.cancel()

    # --- a batch of jobs ------------------------------------------------------------------

    async def run_job(self, job: ClaimedJob) -> None:
        """Run one claimed job to its end (succeeded, retried, failed or dropped). Never raises, except cancel."""
        await self.run_jobs([job])

    async def run_jobs(self, jobs: Sequence[ClaimedJob], inputs: dict[str, JobInput | None] | None = None) -> None:
        """Run claimed jobs to their end as one batch. Never raises, except cancel.

        Their inputs (read with the claim, else here) come from one connection. Each job's results
        commit, with its own `HintsProposedV2`, as soon as it is done, together with the jobs that
        finished during the commit before (GroupCommit): a task's first hints wait for no other
        task's agents. Agents that run in this process go one job after another (side by side they
        would all finish last); agents that wait on a provider go side by side. Agents that wait on
        the network for a linked page run after those commits and propose in a second event of
        their own, so a task's first hints never wait for someone else's web server.
        """
        try:
            if inputs is None:
                async with self._services.engine.connect() as conn:
                    inputs = await load_job_inputs(conn, [job.task_id for job in jobs])
        except Exception as exc:
            # Loop boundary for the batch: each job is retried (or failed) on its own.
            log.warning("jobs %s: reading their inputs failed: %r", [job.id for job in jobs], exc)
            for job in jobs:
                await self._fail(job, f"{type(exc).__name__}: {exc}")
            return
        gone = [job for job in jobs if inputs[job.task_id] is None]
        works = [
            _Work(job, job_input, agent_context(job_input))
            for job in jobs
            if (job_input := inputs[job.task_id]) is not None
        ]
        heartbeat = asyncio.create_task(self._heartbeat(works))
        in_process = self.pipeline.runs_in_process
        commits: GroupCommit[_Part, ClaimedJob] = GroupCommit(self._commit, eager=not in_process)
        try:
            if gone:
                commits.add(gone=gone)
            slow = {work.job.id: self._slow_agents(work) for work in works}
            parts: list[_Part] = []

            async def run_first_part(work: _Work) -> None:
                outcomes = await self._run_part(work, skip=slow[work.job.id])
                if outcomes is not None:
                    part = _Part(work, outcomes, final=not slow[work.job.id])
                    parts.append(part)
                    commits.add([part])  # its hints leave now, not when the whole batch is done

            if in_process:
                # Nothing to wait for: side by side, every job would finish only when the last does.
                # The first job's hints commit at once, later ones at most every commit_every_seconds.
                loop = asyncio.get_running_loop()
                due = loop.time()
                for work in works:
                    await run_first_part(work)
                    if loop.time() >= due:
                        await commits.drain()
                        due = loop.time() + self.config.commit_every_seconds
            else:
                await asyncio.gather(*(run_first_part(work) for work in works))
            await commits.drain()
            later = [part.work for part in parts if not part.final and not part.work.lost.is_set()]
            await asyncio.gather(*(self._run_slow(work, slow[work.job.id]) for work in later))
        finally:
            try:
                await commits.abandon()
            finally:  # a cancel landing during the abandon must not leave the leases renewed for ever
                await cancel_and_wait(heartbeat)

    def _slow_agents(self, work: _Work) -> frozenset[str]:
        """The agents of this job that would wait on the network and are not skipped."""
        return self.pipeline.slow_agents(work.ctx) - self._skipped(work)

    def _skipped(self, work: _Work) -> set[str]:
        """Agents whose inputs are unchanged since they last ran (the owner's re-run runs them all)."""
        if work.job.reason == "rerun":
            return set()
        known = work.input.agent_keys
        return {agent for agent, key in self.pipeline.input_keys(work.ctx).items() if known.get(agent) == key}

    async def _run_part(self, work: _Work, skip: Collection[str]) -> Sequence[AgentOutcome] | None:
        """The outcomes of the job's agents except `skip`, or None when the job ended otherwise (lost, failed)."""
        try:
            return await self._run_agents(work, self._skipped(work) | set(skip))
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            # Loop boundary for one job: logged with its id, then retried or failed.
            job = work.job
            log.warning("job %s (task %s) attempt %d failed: %r", job.id, job.task_id, job.attempts, exc)
            await self._fail(job, f"{type(exc).__name__}: {exc}")
            return None

    async def _run_slow(self, work: _Work, slow: frozenset[str]) -> None:
        everything_else = set(self.pipeline.input_keys(work.ctx)) - slow
        outcomes = await self._run_part(work, skip=everything_else)
        if outcomes is not None:
            await self._commit([_Part(work, outcomes, final=True)], [])

    async def _run_agents(self, work: _Work, skip: Collection[str]) -> Sequence[AgentOutcome] | None:
        """The agents' outcomes, or None when the claim was lost while they ran."""
        job = work.job
        board_id = work.input.task.board_id
        loop = asyncio.get_running_loop()
        last_report = {"at": loop.time()}

        async def on_progress(stage: str, percent: int) -> None:
            if not 0 < percent < 100 or loop.time() - last_report["at"] < self.config.progress_interval_seconds:
                return
            last_report["at"] = loop.time()
            if not await self._report_progress(job, board_id, stage, percent):
                work.lost.set()

        run = asyncio.create_task(self.pipeline.run(work.ctx, on_progress, skip))
        lost_wait = asyncio.create_task(work.lost.wait())
        try:
            await asyncio.wait({run, lost_wait}, return_when=asyncio.FIRST_COMPLETED)
            if not run.done():
                log.info("job %s: cancelled or taken over while running; its results are dropped", job.id)
                return None
            return run.result()
        finally:
            await cancel_and_wait(run, lost_wait)

    async def _heartbeat(self, works: Sequence[_Work]) -> None:
        """Keep the batch's leases in one statement per beat; a job whose claim is gone is marked lost."""
        interval = self.config.lease_seconds / 3
        while True:
            await asyncio.sleep(interval)
            live = [work for work in works if not work.finished and not work.lost.is_set()]
            if not live:
                return
            try:
                held_ids = await renew_leases(
                    self._services.engine, [work.job for work in live], self.config.lease_seconds
                )
            except Exception as exc:
                # Loop boundary: the leases still have time left; the next beat tries again.
                log.warning("jobs %s: lease renewal failed: %r", [work.job.id for work in live], exc)
                continue
            for work in live:
                if work.job.id not in held_ids and not work.finished:
                    work.lost.set()

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

    async def _commit(self, parts: Sequence[_Part], gone: Sequence[ClaimedJob]) -> None:
        """The parts' results, one `HintsProposedV2` each, and the jobs' new states: one transaction.

        Only jobs this worker still holds count: a part whose claim was lost (cancelled, taken
        over) is dropped, and its job is marked lost so nothing more of it runs.
        """
        if not parts and not gone:
            return
        now = utcnow()
        async with self._services.new_unit_of_work() as uow:
            if gone:
                await uow.conn.execute(
                    update(agent_jobs)
                    .where(HELD_ALL)
                    .values(status="cancelled", last_error="task deleted", lease_expires_at=None, finished_at=now,
                            updated_at=now),
                    held_params(gone),
                )  # fmt: skip
            held_ids = await _mark_parts(uow.conn, parts, now)
            kept = [part for part in parts if part.work.job.id in held_ids]
            for part in parts:
                if part.work.job.id not in held_ids:
                    part.work.lost.set()
                    drafts = sum(len(o.drafts) for o in part.outcomes)
                    log.info("job %s: claim lost before commit; %d draft(s) dropped", part.work.job.id, drafts)
            await _write_results(uow.conn, kept, now)
            for part in kept:
                # Sent even with no drafts: the API marks the task analysed and withdraws what no longer holds.
                uow.record(_proposal(part), aggregate_id=part.work.job.task_id)
            # No separate "done" progress event: the API announces the end when it stores this analysis.
            await uow.commit()
        for part in kept:
            part.work.finished = part.final

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

    async def _board_of(self, job: ClaimedJob) -> str | None:
        async with self._services.engine.connect() as conn:
            board: str | None = await conn.scalar(
                select(task_snapshots.c.board_id).where(task_snapshots.c.task_id == job.task_id)
            )
        return board


# The statements of every commit of results, built once (a statement built per commit costs more
# CPU than SQLAlchemy's cached compile of it).
_SUCCEEDED = (
    update(agent_jobs)
    .where(HELD_ALL)
    .values(status="succeeded", progress=100, lease_expires_at=None, last_error=None, finished_at=bindparam("now"),
            updated_at=bindparam("now"))
    .returning(agent_jobs.c.id)
)  # fmt: skip
_GOING_ON = update(agent_jobs).where(HELD_ALL).values(updated_at=bindparam("now")).returning(agent_jobs.c.id)
_INSERT_RESULTS = agent_results.insert()
_INSERT_DRAFTS = hint_drafts.insert()
_FORGET_INPUTS = delete(agent_inputs).where(
    tuple_(agent_inputs.c.task_id, agent_inputs.c.agent_id).in_(bindparam("pairs", expanding=True))
)
_INSERT_INPUTS = agent_inputs.insert()


async def _mark_parts(conn: Any, parts: Sequence[_Part], now: Any) -> set[str]:
    """Mark the jobs that end with their part succeeded (the others stay running); the ids still held."""
    held_ids: set[str] = set()
    for statement, jobs in (
        (_SUCCEEDED, [part.work.job for part in parts if part.final]),
        (_GOING_ON, [part.work.job for part in parts if not part.final]),
    ):
        if jobs:
            rows = await conn.execute(statement, {**held_params(jobs), "now": now})
            held_ids |= {row.id for row in rows}
    return held_ids


async def _write_results(conn: Any, parts: Sequence[_Part], now: Any) -> None:
    """Every part's agent results, remembered inputs and drafts: three kinds of rows, a statement or two each."""
    results = [_result_row(part.work.job, o, now) for part in parts for o in part.outcomes]
    if results:
        await conn.execute(_INSERT_RESULTS, results)
    await _remember_inputs(conn, parts, now)
    drafts = [_draft_row(part.work.job, d, now) for part in parts for o in part.outcomes for d in o.drafts]
    if drafts:
        await conn.execute(_INSERT_DRAFTS, drafts)


def _proposal(part: _Part) -> HintsProposedV2:
    task, outcomes = part.work.input.task, part.outcomes
    return HintsProposedV2(
        task_id=task.task_id,
        board_id=task.board_id,
        job_id=part.work.job.id,
        task_version=task.version,
        basis=content_basis(task),
        analysed_types=tuple(t for o in outcomes if o.error is None for t in o.hint_types),
        drafts=tuple(d for o in outcomes for d in o.drafts),
        failed_agents={o.agent_id: o.error for o in outcomes if o.error is not None},
    )


async def _remember_inputs(conn: Any, parts: Sequence[_Part], now: Any) -> None:
    """What each agent that succeeded read, so the next job skips it while that stays the same."""
    rows = [
        {"task_id": part.work.job.task_id, "agent_id": o.agent_id, "input_key": o.input_key,
         "job_id": part.work.job.id, "updated_at": now}
        for part in parts
        for o in part.outcomes
        if o.error is None and o.input_key is not None
    ]  # fmt: skip
    if not rows:
        return
    # Two statements whatever the number of jobs and agents.
    await conn.execute(_FORGET_INPUTS, {"pairs": [(r["task_id"], r["agent_id"]) for r in rows]})
    await conn.execute(_INSERT_INPUTS, rows)


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

"""Claiming due jobs under a lease (a batch at a time), renewing leases, and giving a job back.

Interactive jobs are claimed before background ones (a board digesting an import), each kind
oldest first.

A job is due when it is queued and its start time has come, or when it is running under a lease
that expired (its worker died): that job is taken over. A queued job waits while its task has a
running job (one running job per task). On PostgreSQL the claim locks with FOR UPDATE SKIP LOCKED,
so worker processes share the table without coordination; on SQLite the claim's transaction holds
the write lock from its first statement (BEGIN IMMEDIATE), which makes it atomic.

Every later write about a claimed job is guarded by (status running, lease owner, attempt number):
a worker that lost its lease changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    Update,
    and_,
    bindparam,
    exists,
    func,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.exc import IntegrityError

from kanban.db.async_core import AsyncConnection, AsyncEngine
from kanban.db.engine import single_write, write_transaction
from kanban.db.types import utcnow
from kanban.worker.tables import agent_jobs

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ClaimedJob:
    id: str
    task_id: str
    task_version: int
    reason: str
    attempts: int
    lease_owner: str
    taken_over: bool


def _due(now: object) -> ColumnElement[bool]:
    other = agent_jobs.alias("other")
    task_busy = exists().where(
        other.c.task_id == agent_jobs.c.task_id, other.c.status == "running", other.c.id != agent_jobs.c.id
    )
    return or_(
        and_(agent_jobs.c.status == "queued", agent_jobs.c.run_after <= now, ~task_busy),
        and_(agent_jobs.c.status == "running", agent_jobs.c.lease_expires_at < now),
    )


@dataclass(frozen=True)
class Claim:
    jobs: list[ClaimedJob]
    # When nothing was claimed: seconds until the earliest queued job may start (0: one is due but
    # held behind its task's running job), None when none is queued.
    next_due_in: float | None = None
    # What `read` returned for the claimed jobs' tasks (None: not read, or the read failed).
    inputs: Any = None


ReadInputs = Callable[[AsyncConnection, list[str]], Awaitable[Any]]


async def next_due_in(engine: AsyncEngine) -> float | None:
    """Seconds until the earliest queued job may start (0 when one is due now); None when none is queued."""
    async with engine.connect() as conn:
        return await _next_due_in(conn)


async def _next_due_in(conn: AsyncConnection) -> float | None:
    earliest = await conn.scalar(select(func.min(agent_jobs.c.run_after)).where(agent_jobs.c.status == "queued"))
    if earliest is None:
        return None
    return max(0.0, (earliest - utcnow()).total_seconds())


async def claim_job(engine: AsyncEngine, owner: str, lease_seconds: float) -> ClaimedJob | None:
    """Take the oldest due job under a lease held by `owner`; None when nothing is due."""
    claim = await claim_jobs(engine, owner, lease_seconds, limit=1)
    return claim.jobs[0] if claim.jobs else None


async def claim_jobs(
    engine: AsyncEngine, owner: str, lease_seconds: float, limit: int, read: ReadInputs | None = None
) -> Claim:
    """Take up to `limit` due jobs (in claim order) under leases held by `owner`, in one transaction.

    Two statements whatever the number: a burst of new tasks costs a claim per batch, not per task.
    `read` (given the claimed jobs' task ids) reads what they need in the same transaction, one
    connection per batch instead of two. Finding none, the same transaction says when the next one
    is due, so an idle runner sleeps until then without another round trip.
    """
    try:
        async with write_transaction(engine) as conn:
            jobs = await _claim(conn, owner, lease_seconds, limit)
            if not jobs:
                return Claim([], await _next_due_in(conn))
            return Claim(jobs, inputs=await _read(read, conn, jobs))
    except IntegrityError:
        # Another worker started a job for the same task in between: these wait their turn.
        return Claim([], 0.0)


async def _read(read: ReadInputs | None, conn: AsyncConnection, jobs: list[ClaimedJob]) -> Any:
    if read is None:
        return None
    try:
        return await read(conn, [job.task_id for job in jobs])
    except Exception as exc:
        # The claim still stands: the runner reads again on its own and fails each job that cannot be read.
        log.warning("jobs %s: reading their inputs with the claim failed: %r", [job.id for job in jobs], exc)
        return None


@cache
def _claim_statements(postgres: bool) -> tuple[Select[Any], Update]:
    """The claim's two statements, built once: the due candidates in claim order, and taking them."""
    now = bindparam("now", type_=agent_jobs.c.run_after.type)
    # Interactive jobs first (see queue.BULK_BACKLOG), then the oldest due.
    candidates = (
        select(agent_jobs.c.id, agent_jobs.c.status)
        .where(_due(now))
        .order_by(agent_jobs.c.priority, agent_jobs.c.run_after)
        .limit(bindparam("limit", type_=Integer))
    )
    if postgres:
        candidates = candidates.with_for_update(skip_locked=True, of=agent_jobs)
    take = (
        update(agent_jobs)
        .where(tuple_(agent_jobs.c.id, agent_jobs.c.status).in_(bindparam("picked", expanding=True)))
        .values(
            status="running",
            lease_owner=bindparam("owner"),
            lease_expires_at=bindparam("lease_expires_at_"),
            attempts=agent_jobs.c.attempts + 1,
            progress=0,
            updated_at=now,
        )
        .returning(
            agent_jobs.c.id, agent_jobs.c.task_id, agent_jobs.c.task_version, agent_jobs.c.reason, agent_jobs.c.attempts
        )
    )
    return candidates, take


async def _claim(conn: AsyncConnection, owner: str, lease_seconds: float, limit: int) -> list[ClaimedJob]:
    now = utcnow()
    candidates, take = _claim_statements(conn.dialect.name == "postgresql")
    picked = {row.id: row.status for row in (await conn.execute(candidates, {"now": now, "limit": limit})).all()}
    if not picked:
        return []
    params = {
        "picked": list(picked.items()),
        "owner": owner,
        "lease_expires_at_": now + timedelta(seconds=lease_seconds),
        "now": now,
    }
    rows = (await conn.execute(take, params)).all()
    claimed = {
        row.id: ClaimedJob(
            id=row.id,
            task_id=row.task_id,
            task_version=row.task_version,
            reason=row.reason,
            attempts=row.attempts,
            lease_owner=owner,
            taken_over=picked[row.id] == "running",
        )
        for row in rows
    }
    # RETURNING has no order of its own: keep the claim order.
    return [claimed[job_id] for job_id in picked if job_id in claimed]


def held(job: ClaimedJob) -> ColumnElement[bool]:
    """The job's row, while this claim still holds it (not cancelled, not taken over)."""
    return and_(
        agent_jobs.c.id == job.id,
        agent_jobs.c.status == "running",
        agent_jobs.c.lease_owner == job.lease_owner,
        agent_jobs.c.attempts == job.attempts,
    )


# The rows of a batch of jobs that their claims still hold (the batch form of `held`), with the
# claims as one bound parameter (`held_params`), so the statements using it are built once.
HELD_ALL = and_(
    agent_jobs.c.status == "running",
    tuple_(agent_jobs.c.id, agent_jobs.c.lease_owner, agent_jobs.c.attempts).in_(bindparam("held", expanding=True)),
)


def held_params(jobs: Sequence[ClaimedJob]) -> dict[str, list[tuple[str, str, int]]]:
    """The value of `HELD_ALL` for `jobs`."""
    return {"held": [(job.id, job.lease_owner, job.attempts) for job in jobs]}


async def renew_lease(engine: AsyncEngine, job: ClaimedJob, lease_seconds: float) -> bool:
    """Push the lease forward; False when the claim was lost (cancelled or taken over)."""
    return job.id in await renew_leases(engine, [job], lease_seconds)


async def renew_leases(engine: AsyncEngine, jobs: Sequence[ClaimedJob], lease_seconds: float) -> set[str]:
    """Push the leases of `jobs` forward in one statement; the ids of those still held."""
    now = utcnow()
    async with single_write(engine) as conn:
        rows = await conn.execute(
            update(agent_jobs)
            .where(HELD_ALL)
            .values(lease_expires_at=now + timedelta(seconds=lease_seconds), updated_at=now)
            .returning(agent_jobs.c.id),
            held_params(jobs),
        )
        return {row.id for row in rows}


async def requeue(
    conn: AsyncConnection, job: ClaimedJob, *, run_after_seconds: float, error: str | None, count_attempt: bool
) -> bool:
    """Put a held job back in the queue (a retry, or a lease given back at shutdown).

    When a newer job for the task is already queued, that one covers the task and this one ends as
    `cancelled` (superseded). Returns False when the claim was lost.
    """
    now = utcnow()
    newer_queued = await conn.scalar(
        select(agent_jobs.c.id).where(agent_jobs.c.task_id == job.task_id, agent_jobs.c.status == "queued")
    )
    values: dict[str, object] = {"lease_owner": None, "lease_expires_at": None, "updated_at": now}
    if error is not None:
        values["last_error"] = error
    if not count_attempt:
        values["attempts"] = job.attempts - 1
    if newer_queued is not None:
        values |= {"status": "cancelled", "finished_at": now, "last_error": f"superseded by job {newer_queued}"}
    else:
        values |= {"status": "queued", "run_after": now + timedelta(seconds=run_after_seconds), "progress": 0}
    result = await conn.execute(update(agent_jobs).where(held(job)).values(**values))
    return result.rowcount == 1


async def release_lease(engine: AsyncEngine, job: ClaimedJob) -> bool:
    """Give a job back unfinished (the worker is stopping); the attempt does not count."""
    async with write_transaction(engine) as conn:
        return await requeue(conn, job, run_after_seconds=0, error=None, count_attempt=False)

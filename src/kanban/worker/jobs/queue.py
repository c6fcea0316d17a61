"""Putting work on the job table, inside the transaction that consumed the triggering event.

One queued and one running job per task at most: a burst of edits moves the queued job's start
time forward (debounce) instead of adding jobs.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from kanban.db.types import new_id, utcnow
from kanban.worker.tables import agent_jobs


async def enqueue_job(
    conn: AsyncConnection, task_id: str, task_version: int, reason: str, debounce_seconds: float
) -> str:
    """The id of the queued job for the task: an existing one is pushed back, else a new one is added."""
    now = utcnow()
    run_after = now + timedelta(seconds=debounce_seconds)
    existing = await conn.scalar(
        select(agent_jobs.c.id).where(agent_jobs.c.task_id == task_id, agent_jobs.c.status == "queued")
    )
    if existing is not None:
        await conn.execute(
            update(agent_jobs)
            .where(agent_jobs.c.id == existing)
            .values(run_after=run_after, task_version=task_version, reason=reason, updated_at=now)
        )
        return str(existing)
    job_id = new_id()
    await conn.execute(
        agent_jobs.insert().values(
            id=job_id,
            task_id=task_id,
            status="queued",
            reason=reason,
            task_version=task_version,
            run_after=run_after,
            attempts=0,
            progress=0,
            created_at=now,
            updated_at=now,
        )
    )
    return job_id


async def cancel_jobs(conn: AsyncConnection, task_id: str, reason: str) -> int:
    """Cancel the task's queued and running jobs; a running one notices at its next checkpoint."""
    now = utcnow()
    result = await conn.execute(
        update(agent_jobs)
        .where(agent_jobs.c.task_id == task_id, agent_jobs.c.status.in_(("queued", "running")))
        .values(status="cancelled", last_error=reason, finished_at=now, updated_at=now, lease_owner=None)
    )
    return int(result.rowcount or 0)

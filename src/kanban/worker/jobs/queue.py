"""Putting work on the job table, inside the transaction that consumed the triggering event.

One queued and one running job per task at most: a burst of edits moves the queued job's start
time forward (debounce) instead of adding jobs.
"""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, func, select, text, update

from kanban.db.async_core import AsyncConnection
from kanban.db.types import new_id, utcnow
from kanban.messaging.sql import dialect_insert
from kanban.worker.tables import agent_jobs, task_snapshots

# A board with this many queued jobs is digesting a bulk change (an import of many tasks): its
# further jobs are background work, claimed after every interactive job, so one person's thousand
# imported tasks never hold up another person's one new task.
BULK_BACKLOG = 20
INTERACTIVE, BACKGROUND = 0, 1


# The board's queued jobs: how many, and whether any is background work. Built once (bound task id).
_BOARD_BACKLOG = (
    select(func.count(), func.max(agent_jobs.c.priority))
    .select_from(agent_jobs.join(task_snapshots, task_snapshots.c.task_id == agent_jobs.c.task_id))
    .where(
        agent_jobs.c.status == "queued",
        task_snapshots.c.board_id
        == select(task_snapshots.c.board_id).where(task_snapshots.c.task_id == bindparam("task_id")).scalar_subquery(),
    )
)


async def job_priority(conn: AsyncConnection, task_id: str) -> int:
    """Background when the task's board has BULK_BACKLOG queued jobs, or still a background one queued.

    The second part keeps a board's own jobs first come, first served: once its backlog shrinks
    below the mark, a new task of that board would otherwise overtake the older ones still queued.
    """
    backlog, lowest = (await conn.execute(_BOARD_BACKLOG, {"task_id": task_id})).one()
    return BACKGROUND if (backlog or 0) >= BULK_BACKLOG or lowest == BACKGROUND else INTERACTIVE


@lru_cache(maxsize=2)
def _queue_statement(dialect_name: str) -> Any:
    """The task's queued job (uq_agent_jobs_one_queued) pushed back, or a new one added: one statement,
    built once per dialect; the job's values are its parameters."""
    insert = dialect_insert(dialect_name, agent_jobs)
    return insert.on_conflict_do_update(
        index_elements=[agent_jobs.c.task_id],
        index_where=text("status = 'queued'"),  # a literal: PostgreSQL matches the index's predicate
        set_={
            name: insert.excluded[name] for name in ("run_after", "task_version", "reason", "priority", "updated_at")
        },
    ).returning(agent_jobs.c.id)


async def enqueue_job(
    conn: AsyncConnection,
    task_id: str,
    task_version: int,
    reason: str,
    debounce_seconds: float,
    priority: int | None = None,
) -> str:
    """The id of the queued job for the task: an existing one is pushed back, else a new one is added.

    A rerun the owner asked for is always interactive; other jobs are background while their board
    has a bulk backlog (see BULK_BACKLOG), or when the caller says so (`priority`).
    """
    now = utcnow()
    if priority is None:
        priority = INTERACTIVE if reason == "rerun" else await job_priority(conn, task_id)
    job = {"id": new_id(), "task_id": task_id, "status": "queued", "reason": reason, "task_version": task_version,
           "run_after": now + timedelta(seconds=debounce_seconds), "attempts": 0, "progress": 0, "priority": priority,
           "created_at": now, "updated_at": now}  # fmt: skip
    job_id = await conn.scalar(_queue_statement(conn.dialect.name), job)
    return str(job_id)


async def cancel_jobs(conn: AsyncConnection, task_id: str, reason: str) -> int:
    """Cancel the task's queued and running jobs; a running one notices at its next checkpoint."""
    now = utcnow()
    result = await conn.execute(
        update(agent_jobs)
        .where(agent_jobs.c.task_id == task_id, agent_jobs.c.status.in_(("queued", "running")))
        .values(status="cancelled", last_error=reason, finished_at=now, updated_at=now, lease_owner=None)
    )
    return int(result.rowcount or 0)

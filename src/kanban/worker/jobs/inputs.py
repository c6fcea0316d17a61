"""What a job reads before the agents run: the task's latest snapshot, the board's tags, its other open tasks.

Always the latest snapshot, whatever version the job was queued for: edits made while it waited
are analysed too.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from kanban.contracts.events import TaskState
from kanban.worker.tables import agent_inputs, tag_snapshots, task_snapshots

# Agents compare a task with its neighbours (duplicates); a bound keeps a huge board cheap.
MAX_OPEN_TASKS = 500
CLOSED_COLUMNS = frozenset({"DONE", "ARCHIVE"})


@dataclass(frozen=True)
class JobInput:
    task: TaskState
    board_tags: tuple[str, ...]
    open_tasks: tuple[TaskState, ...]
    # What each agent read when it last ran on this task (agent id -> input fingerprint).
    agent_keys: dict[str, str] = field(default_factory=dict)


async def load_job_input(conn: AsyncConnection, task_id: str) -> JobInput | None:
    """None when the task is unknown or deleted (its tombstone wins)."""
    row = (
        await conn.execute(
            select(task_snapshots.c.state, task_snapshots.c.deleted).where(task_snapshots.c.task_id == task_id)
        )
    ).first()
    if row is None or row.deleted or row.state is None:
        return None
    task = TaskState.model_validate(row.state)
    tags = (
        await conn.execute(
            select(tag_snapshots.c.name)
            .where(tag_snapshots.c.board_id == task.board_id, tag_snapshots.c.deleted.is_(False))
            .order_by(tag_snapshots.c.name)
        )
    ).scalars()
    neighbours = (
        await conn.execute(
            select(task_snapshots.c.state)
            .where(
                task_snapshots.c.board_id == task.board_id,
                task_snapshots.c.task_id != task_id,
                task_snapshots.c.deleted.is_(False),
            )
            .order_by(task_snapshots.c.updated_at.desc())
            .limit(MAX_OPEN_TASKS)
        )
    ).scalars()
    open_tasks = tuple(
        state
        for state in (TaskState.model_validate(s) for s in neighbours if s is not None)
        if not state.is_done and state.column_type not in CLOSED_COLUMNS
    )
    keys = await conn.execute(
        select(agent_inputs.c.agent_id, agent_inputs.c.input_key).where(agent_inputs.c.task_id == task_id)
    )
    return JobInput(task=task, board_tags=tuple(tags), open_tasks=open_tasks, agent_keys={a: k for a, k in keys.all()})

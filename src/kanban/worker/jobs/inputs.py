"""What a job reads before the agents run: the task's latest snapshot, the board's tags, its other open tasks.

Always the latest snapshot, whatever version the job was queued for: edits made while it waited
are analysed too.
"""

from __future__ import annotations

from collections import OrderedDict
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


# Parsed neighbour states by (task id, version): a board's tasks are read from JSON once per version
# in this process, not once per job that compares with them.
_STATES: OrderedDict[tuple[str, int], TaskState] = OrderedDict()
STATE_CACHE_SIZE = 5000


async def _neighbours(conn: AsyncConnection, task: TaskState) -> tuple[TaskState, ...]:
    versions = (
        await conn.execute(
            select(task_snapshots.c.task_id, task_snapshots.c.version)
            .where(
                task_snapshots.c.board_id == task.board_id,
                task_snapshots.c.task_id != task.task_id,
                task_snapshots.c.deleted.is_(False),
            )
            .order_by(task_snapshots.c.updated_at.desc())
            .limit(MAX_OPEN_TASKS)
        )
    ).all()
    missing = [task_id for task_id, version in versions if (task_id, version) not in _STATES]
    if missing:
        rows = await conn.execute(
            select(task_snapshots.c.task_id, task_snapshots.c.version, task_snapshots.c.state).where(
                task_snapshots.c.task_id.in_(missing)
            )
        )
        for task_id, version, state in rows.all():
            if state is not None:
                _STATES[(task_id, version)] = TaskState.model_validate(state)
        while len(_STATES) > STATE_CACHE_SIZE:
            _STATES.popitem(last=False)
    found = (_STATES.get(key) for key in ((t, v) for t, v in versions))
    return tuple(
        state for state in found if state is not None and not state.is_done and state.column_type not in CLOSED_COLUMNS
    )


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
    open_tasks = await _neighbours(conn, task)
    keys = await conn.execute(
        select(agent_inputs.c.agent_id, agent_inputs.c.input_key).where(agent_inputs.c.task_id == task_id)
    )
    return JobInput(task=task, board_tags=tuple(tags), open_tasks=open_tasks, agent_keys={a: k for a, k in keys.all()})

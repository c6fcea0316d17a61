"""What a job reads before the agents run: the task's latest snapshot, the board's tags, its other open tasks.

Always the latest snapshot, whatever version the job was queued for: edits made while it waited
are analysed too.
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import BindParameter, Integer, bindparam, select

from kanban.contracts.events import TaskState
from kanban.db.async_core import AsyncConnection
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


def _remember(task: TaskState) -> None:
    _STATES[(task.task_id, task.version)] = task
    while len(_STATES) > STATE_CACHE_SIZE:
        _STATES.popitem(last=False)


# The reads of every batch, built once (a statement built per batch costs more CPU than
# SQLAlchemy's cached compile of it); lists of ids are expanding parameters.
_TASK_IDS: BindParameter[list[str]] = bindparam("task_ids", expanding=True)
_SNAPSHOTS = select(task_snapshots.c.task_id, task_snapshots.c.state, task_snapshots.c.deleted).where(
    task_snapshots.c.task_id.in_(_TASK_IDS)
)
_BOARD_TAGS = (
    select(tag_snapshots.c.board_id, tag_snapshots.c.name)
    .where(tag_snapshots.c.board_id.in_(bindparam("board_ids", expanding=True)), tag_snapshots.c.deleted.is_(False))
    .order_by(tag_snapshots.c.name)
)
_NEIGHBOUR_VERSIONS = (
    select(task_snapshots.c.task_id, task_snapshots.c.version)
    .where(task_snapshots.c.board_id == bindparam("board_id"), task_snapshots.c.deleted.is_(False))
    .order_by(task_snapshots.c.updated_at.desc())
    .limit(bindparam("limit", type_=Integer))
)
_STATES_OF = select(task_snapshots.c.task_id, task_snapshots.c.version, task_snapshots.c.state).where(
    task_snapshots.c.task_id.in_(_TASK_IDS)
)
_AGENT_KEYS = select(agent_inputs.c.task_id, agent_inputs.c.agent_id, agent_inputs.c.input_key).where(
    agent_inputs.c.task_id.in_(_TASK_IDS)
)


async def _board_neighbours(conn: AsyncConnection, board_id: str, extra: int) -> list[TaskState]:
    """The board's latest live tasks, newest first: MAX_OPEN_TASKS for each task, plus `extra` it may exclude."""
    params = {"board_id": board_id, "limit": MAX_OPEN_TASKS + extra}
    versions = (await conn.execute(_NEIGHBOUR_VERSIONS, params)).all()
    missing = [task_id for task_id, version in versions if (task_id, version) not in _STATES]
    if missing:
        rows = await conn.execute(_STATES_OF, {"task_ids": missing})
        for _, _, state in rows.all():
            if state is not None:
                _remember(TaskState.model_validate(state))
    found = (_STATES.get((t, v)) for t, v in versions)
    return [state for state in found if state is not None]


def _open_neighbours(task: TaskState, board: list[TaskState]) -> tuple[TaskState, ...]:
    others = (s for s in board if s.task_id != task.task_id)
    return tuple(s for s in others if not s.is_done and s.column_type not in CLOSED_COLUMNS)[:MAX_OPEN_TASKS]


async def load_job_input(conn: AsyncConnection, task_id: str) -> JobInput | None:
    """None when the task is unknown or deleted (its tombstone wins)."""
    return (await load_job_inputs(conn, [task_id]))[task_id]


async def load_job_inputs(conn: AsyncConnection, task_ids: Sequence[str]) -> dict[str, JobInput | None]:
    """Each task's input (None when unknown or deleted), read for the whole batch at once.

    A fixed number of statements per batch (one more per board): snapshots, tags, neighbours and
    the agents' last inputs are each one query over every task of the batch.
    """
    rows = await conn.execute(_SNAPSHOTS, {"task_ids": list(task_ids)})
    tasks: dict[str, TaskState] = {}
    for row in rows.all():
        if not row.deleted and row.state is not None:
            tasks[row.task_id] = task = TaskState.model_validate(row.state)
            _remember(task)
    if not tasks:
        return dict.fromkeys(task_ids)
    boards = {task.board_id for task in tasks.values()}
    board_tags: dict[str, list[str]] = {board: [] for board in boards}
    tag_rows = await conn.execute(_BOARD_TAGS, {"board_ids": list(boards)})
    for board, name in tag_rows.all():
        board_tags[board].append(name)
    per_board = Counter(task.board_id for task in tasks.values())
    neighbours = {board: await _board_neighbours(conn, board, per_board[board]) for board in boards}
    keys: dict[str, dict[str, str]] = {task_id: {} for task_id in tasks}
    key_rows = await conn.execute(_AGENT_KEYS, {"task_ids": list(tasks)})
    for task_id, agent_id, key in key_rows.all():
        keys[task_id][agent_id] = key
    inputs: dict[str, JobInput | None] = dict.fromkeys(task_ids)
    for task_id, task in tasks.items():
        inputs[task_id] = JobInput(
            task=task,
            board_tags=tuple(board_tags[task.board_id]),
            open_tasks=_open_neighbours(task, neighbours[task.board_id]),
            agent_keys=keys[task_id],
        )
    return inputs

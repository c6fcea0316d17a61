"""Each task's flow through the board, replayed from its events: arrival, commitment, finish, stays.

Pure: no I/O. The definitions are ADR 0022's (after the Kanban Guide and Vacanti): commitment is
the first arrival in a CONTEXT or WAITING column; finish is the last arrival in DONE, or in
ARCHIVE straight from committed work, with no later move out of DONE/ARCHIVE; a task deleted after
commitment and before finishing is discarded.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

COMMITTED_TYPES = frozenset({"CONTEXT", "WAITING"})
FINISHED_TYPES = frozenset({"DONE", "ARCHIVE"})
# Where a started task goes when it is un-committed (not WIP any more, not finished either).
UNCOMMITTED_TYPES = frozenset({"INPUT", "CLARIFY", "SOMEDAY"})


class FlowEvent(NamedTuple):
    """One row of task_events that matters to flow (a placement, a retype in place, or a deletion).

    Tuples, not dataclasses: a board's history is tens of thousands of them, built on every read.
    """

    task_id: str
    kind: str
    at: datetime
    to_column_id: str | None = None
    to_type: str | None = None  # a retype in place has a type and no column id


class Stay(NamedTuple):
    """A stretch of time a task spent in one column with one type (`left` None: it is still there)."""

    column_id: str | None
    column_type: str | None
    entered: datetime
    left: datetime | None


@dataclass(slots=True)
class TaskFlow:
    task_id: str
    arrived: datetime
    started: datetime | None = None
    finished: datetime | None = None
    discarded: datetime | None = None  # deleted after commitment, unfinished
    trashed: datetime | None = None  # deleted before commitment, unfinished
    deleted: datetime | None = None
    reentered: bool = False  # un-committed after its start, then committed again
    stays: list[Stay] = field(default_factory=list)

    @property
    def commitment(self) -> datetime | None:
        """Where the cycle starts: a task finished without ever being committed (a two-minute
        action, Inbox straight to Done) starts when it finishes."""
        return self.started if self.started is not None else self.finished

    @property
    def current(self) -> Stay | None:
        return self.stays[-1] if self.stays and self.stays[-1].left is None else None

    @property
    def in_progress(self) -> bool:
        """Work in progress: started, not finished, not deleted, and in a committed column now."""
        now = self.current
        return (
            self.started is not None
            and self.finished is None
            and self.deleted is None
            and now is not None
            and now.column_type in COMMITTED_TYPES
        )


class TaskSeed(NamedTuple):
    """What the tasks table says of a live task, for a task whose log says nothing (pre-log data)."""

    task_id: str
    created_at: datetime
    column_id: str
    column_type: str
    last_moved_at: datetime


class _Replay:
    # The hot loop of every analytics read: slots, and the open stay kept at hand.
    __slots__ = ("flow", "now", "uncommitted_after_start")

    def __init__(self, flow: TaskFlow) -> None:
        self.flow = flow
        self.now: Stay | None = None
        self.uncommitted_after_start = False

    def place(self, at: datetime, column_id: str | None, column_type: str | None) -> None:
        flow, now = self.flow, self.now
        previous = None
        if now is not None:
            if now.column_id == column_id and now.column_type == column_type:
                return
            previous = now.column_type
            flow.stays[-1] = Stay(now.column_id, previous, now.entered, at)
        self.now = Stay(column_id, column_type, at, None)
        flow.stays.append(self.now)
        if column_type in COMMITTED_TYPES:
            if flow.started is None:
                flow.started = at
            elif self.uncommitted_after_start:
                flow.reentered = True
            self.uncommitted_after_start = False
        elif column_type in UNCOMMITTED_TYPES and flow.started is not None:
            self.uncommitted_after_start = True
        if column_type == "DONE":
            flow.finished = at
        elif column_type == "ARCHIVE":
            if previous in COMMITTED_TYPES:
                flow.finished = at
            elif previous != "DONE":
                flow.finished = None
        else:
            flow.finished = None

    def delete(self, at: datetime) -> None:
        flow, now = self.flow, self.now
        if now is not None:
            flow.stays[-1] = Stay(now.column_id, now.column_type, now.entered, at)
            self.now = None
        flow.deleted = at
        if flow.finished is None:
            if flow.started is not None:
                flow.discarded = at
            else:
                flow.trashed = at


def replay(events: Iterable[FlowEvent], seeds: Mapping[str, TaskSeed] = {}) -> dict[str, TaskFlow]:
    """Every task's flow from `events` (ordered by time within each task).

    `seeds` are the live tasks: a task's arrival is the earlier of its row's created_at and its
    first event, and a task without any event arrives at created_at and enters its current column
    at last_moved_at (the one move the row remembers).
    """
    replays: dict[str, _Replay] = {}
    for e in events:
        r = replays.get(e.task_id)
        if r is None:
            seed = seeds.get(e.task_id)
            arrived = min(e.at, seed.created_at) if seed is not None else e.at
            r = replays[e.task_id] = _Replay(TaskFlow(task_id=e.task_id, arrived=arrived))
        if e.kind == "deleted":
            r.delete(e.at)
            continue
        now = r.now
        r.place(e.at, e.to_column_id or (now.column_id if now is not None else None), e.to_type)
    for task_id, seed in seeds.items():
        if task_id not in replays:
            r = replays[task_id] = _Replay(TaskFlow(task_id=task_id, arrived=seed.created_at))
            r.place(max(seed.last_moved_at, seed.created_at), seed.column_id, seed.column_type)
    return {task_id: r.flow for task_id, r in replays.items()}

"""What an agent gets to read, and the clock it reads the time from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from kanban.contracts.events import TaskState


@dataclass(frozen=True)
class AgentContext:
    task: TaskState
    board_tags: tuple[str, ...]
    open_tasks: tuple[TaskState, ...]


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

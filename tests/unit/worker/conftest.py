"""Builders for the Worker's agent tests: tasks, contexts and a pipeline on the local provider."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

import pytest

from kanban.contracts.events import TaskState
from kanban.worker.agents.base import Agent
from kanban.worker.agents.context import AgentContext
from kanban.worker.providers.local import LocalProvider

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
_ids = itertools.count(1)


def make_task(title: str, description: str | None = None, **fields: Any) -> TaskState:
    defaults: dict[str, Any] = {
        "task_id": f"task-{next(_ids)}",
        "board_id": "board-1",
        "owner_id": "user-1",
        "column_id": "inbox",
        "column_type": "INPUT",
        "version": 1,
        "updated_at": NOW,
    }
    return TaskState(title=title, description=description, **{**defaults, **fields})


def context_for(
    task: TaskState, board_tags: tuple[str, ...] = (), open_tasks: tuple[TaskState, ...] = ()
) -> AgentContext:
    return AgentContext(task=task, board_tags=board_tags, open_tasks=open_tasks)


class FixedClock:
    def __init__(self, now: datetime = NOW) -> None:
        self._now = now

    def now(self) -> datetime:
        return self._now


@pytest.fixture
def local() -> LocalProvider:
    return LocalProvider()


async def drafts_of(agent: Agent, ctx: AgentContext, provider: LocalProvider | None = None) -> dict[str, Any]:
    """The agent's drafts keyed by hint type (each agent proposes at most one of a type)."""
    report = await agent.run(ctx, provider or LocalProvider())
    by_type = {d.hint_type: d for d in report.drafts}
    assert len(by_type) == len(report.drafts)
    return by_type

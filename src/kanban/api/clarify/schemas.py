"""Clarify requests and responses: one inbox item at a time, one decision each."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from kanban.api import limits
from kanban.api.schemas import ApiModel, RequestModel
from kanban.api.tasks.schemas import TaskOut
from kanban.contracts.events import Priority, TaskContext

Decision = Literal["trash", "someday", "archive", "done", "waiting", "context", "next"]


class ClarifyRequest(RequestModel):
    decision: Decision
    context: TaskContext | None = None
    priority: Priority | None = None
    duration_minutes: limits.DurationMinutes | None = None
    project_id: limits.Id | None = None
    waiting_for: str | None = Field(default=None, min_length=1, max_length=500)
    wip_override: bool = False


class ClarifyResult(ApiModel):
    decision: Decision
    # None when the decision was "trash": the task is gone.
    task: TaskOut | None


class NextToClarify(ApiModel):
    """The oldest unclarified inbox task; `remaining` counts it and every other one left."""

    task: TaskOut | None
    remaining: int


class ClarifyStats(ApiModel):
    inbox_count: int
    unclarified_count: int
    clarified_today: int
    clarified_this_week: int
    by_decision: dict[str, int]

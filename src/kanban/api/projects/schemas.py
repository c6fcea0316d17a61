"""Project requests and responses on the wire (camelCase)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from kanban.api.schemas import ApiModel, RequestModel

ProjectStatus = Literal["active", "on_hold", "completed", "dropped"]
ProjectName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
LongText = Annotated[str, Field(max_length=20_000)]


class CreateProjectRequest(RequestModel):
    name: ProjectName
    description: LongText | None = None
    desired_outcome: LongText | None = None
    status: ProjectStatus = "active"


class UpdateProjectRequest(RequestModel):
    """Only the fields given change; `null` clears description or desiredOutcome."""

    name: ProjectName | None = None
    description: LongText | None = None
    desired_outcome: LongText | None = None
    status: ProjectStatus | None = None


class TaskCounts(ApiModel):
    open: int
    done: int


class ProjectResponse(ApiModel):
    id: str
    board_id: str
    name: str
    description: str | None
    desired_outcome: str | None
    status: str
    version: int
    task_counts: TaskCounts
    created_at: datetime
    updated_at: datetime

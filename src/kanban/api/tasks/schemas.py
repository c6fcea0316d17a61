"""Task requests and responses on the wire (camelCase)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, Field, field_validator

from kanban.api import limits
from kanban.api.schemas import ApiModel, RequestModel
from kanban.contracts.events import ColumnType, Priority, TaskContext

TaskSort = Literal["position", "dueAt", "createdAt", "updatedAt", "priority"]
SortOrder = Literal["asc", "desc"]


def _clean_tags(names: list[str] | None) -> list[str] | None:
    if names is None:
        return None
    cleaned: dict[str, str] = {}
    for name in names:
        stripped = name.strip()
        if not stripped or len(stripped) > limits.MAX_TAG_NAME_CHARS:
            raise ValueError(f"tag names are 1 to {limits.MAX_TAG_NAME_CHARS} characters (maxTagNameChars)")
        cleaned.setdefault(stripped.lower(), stripped)
    return list(cleaned.values())


class TaskFields(RequestModel):
    """Fields shared by create and update; on update only the fields given are changed."""

    description: limits.Description | None = None
    context: TaskContext | None = None
    project_id: limits.Id | None = None
    tags: list[str] | None = Field(default=None, max_length=limits.MAX_TAGS_PER_TASK)
    due_at: AwareDatetime | None = None
    priority: Priority | None = None
    duration_minutes: limits.DurationMinutes | None = None
    waiting_for: str | None = Field(default=None, max_length=500)
    needs_breakdown: bool | None = None
    metadata: limits.Metadata = None

    @field_validator("tags")
    @classmethod
    def _tags_clean(cls, v: list[str] | None) -> list[str] | None:
        return _clean_tags(v)


class CreateTaskRequest(TaskFields):
    title: limits.Title
    column_id: limits.Id | None = None
    wip_override: bool = False

    @field_validator("title")
    @classmethod
    def _title_not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("title must not be blank")
        return v.strip()


class UpdateTaskRequest(TaskFields):
    title: limits.Title | None = None
    column_id: limits.Id | None = None
    position: limits.Position | None = None
    wip_override: bool = False

    @field_validator("title")
    @classmethod
    def _title_not_blank(cls, v: str | None) -> str | None:
        if v is not None and not v.strip():
            raise ValueError("title must not be blank")
        return v.strip() if v is not None else None


class MoveTaskRequest(RequestModel):
    column_id: limits.Id
    position: limits.Position | None = None
    wip_override: bool = False


class ReorderTaskRequest(RequestModel):
    position: limits.Position


class TagRef(ApiModel):
    id: str
    name: str
    color: str


class ChecklistProgress(ApiModel):
    total: int = 0
    done: int = 0


class TaskOut(ApiModel):
    id: str
    board_id: str
    column_id: str
    column_type: ColumnType
    project_id: str | None
    title: str
    description: str | None
    context: TaskContext | None
    waiting_for: str | None
    due_at: datetime | None
    priority: Priority | None
    duration_minutes: int | None
    needs_breakdown: bool
    metadata: dict[str, Any] | None
    is_done: bool
    position: int
    version: int
    wip_override: bool
    stale: bool
    tags: list[TagRef]
    checklist: ChecklistProgress
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None
    last_moved_at: datetime
    clarified_at: datetime | None
    source: str | None = None


class TaskPage(ApiModel):
    items: list[TaskOut]
    total: int
    limit: int
    offset: int


class TaskEventOut(ApiModel):
    id: str
    task_id: str
    board_id: str
    type: str
    from_column_id: str | None
    to_column_id: str | None
    payload: dict[str, Any] | None
    triggered_by: str | None
    created_at: datetime


class TaskEventPage(ApiModel):
    items: list[TaskEventOut]
    total: int
    limit: int
    offset: int

"""Board requests and responses on the wire (camelCase)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field, field_validator

from kanban.api.analytics.schemas import BoardAgingOut
from kanban.api.columns.schemas import ColumnOut
from kanban.api.schemas import ApiModel, RequestModel
from kanban.api.tasks.schemas import TaskOut


def _name(v: str | None) -> str | None:
    if v is not None and not v.strip():
        raise ValueError("name must not be blank")
    return v.strip() if v is not None else None


class BoardSettingsBody(RequestModel):
    """Board settings; on update only the fields given change."""

    stale_after_days: int | None = Field(default=None, ge=1, le=3650)
    auto_apply_hints: bool | None = None
    auto_apply_threshold: float | None = Field(default=None, ge=0.0, le=1.0)
    stale_basis: Literal["days", "p85"] | None = Field(
        default=None, description="p85: stale after the board's own p85 cycle time, staleAfterDays until 10 finish"
    )


class CreateBoardRequest(RequestModel):
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=10_000)
    settings: BoardSettingsBody | None = None

    _clean_name = field_validator("name")(_name)


class UpdateBoardRequest(RequestModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=10_000)

    _clean_name = field_validator("name")(_name)


class BoardSettingsOut(ApiModel):
    stale_after_days: int
    auto_apply_hints: bool
    auto_apply_threshold: float
    stale_basis: Literal["days", "p85"] = "days"


class BoardOut(ApiModel):
    id: str
    name: str
    description: str | None
    version: int
    settings: BoardSettingsOut
    is_default: bool = False
    created_at: datetime
    updated_at: datetime


class ColumnWithTasks(ColumnOut):
    tasks: list[TaskOut] = []


class BoardDetail(BoardOut):
    columns: list[ColumnWithTasks]
    aging: BoardAgingOut = Field(description="each card in a context lane or Waiting for: its age and percentile band")


class StaleTasks(ApiModel):
    stale_after_days: int = Field(description="the threshold applied: the setting, or the board's p85 in days")
    stale_basis: Literal["days", "p85"] = "days"
    count: int
    items: list[TaskOut]

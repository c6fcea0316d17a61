"""Column requests and responses on the wire (camelCase)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field, field_validator

from kanban.api import limits
from kanban.api.schemas import ApiModel, RequestModel
from kanban.contracts.events import ColumnType, TaskContext


def _name(v: str | None) -> str | None:
    if v is not None and not v.strip():
        raise ValueError("name must not be blank")
    return v.strip() if v is not None else None


class CreateColumnRequest(RequestModel):
    name: str = Field(min_length=1, max_length=200)
    type: ColumnType = "CONTEXT"
    wip_limit: limits.WipLimit | None = None
    position: limits.Position | None = None

    _clean_name = field_validator("name")(_name)


class UpdateColumnRequest(RequestModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    type: ColumnType | None = None
    wip_limit: limits.WipLimit | None = None

    _clean_name = field_validator("name")(_name)


class ReorderColumnsRequest(RequestModel):
    column_ids: limits.IdList = Field(min_length=1)


class ColumnOut(ApiModel):
    id: str
    board_id: str
    name: str
    type: ColumnType
    wip_limit: int | None
    position: int
    # The context this column is a lane for (CONTEXT columns named after one, e.g. "@Email").
    lane_context: TaskContext | None = None
    task_count: int = 0
    created_at: datetime
    updated_at: datetime

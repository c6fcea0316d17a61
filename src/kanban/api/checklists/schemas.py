"""Checklist requests and responses on the wire (camelCase)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from kanban.api import limits
from kanban.api.schemas import ApiModel, RequestModel

ItemTitle = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=limits.MAX_TITLE_CHARS)]


class AddItemRequest(RequestModel):
    title: ItemTitle
    is_done: bool = False
    position: limits.Position | None = Field(default=None, description="Where to insert; the end when omitted")


class UpdateItemRequest(RequestModel):
    title: ItemTitle | None = None
    is_done: bool | None = None


class ReorderRequest(RequestModel):
    item_ids: limits.IdList = Field(description="Every item of the task, once each, in the new order")


class ChecklistItemResponse(ApiModel):
    id: str
    task_id: str
    title: str
    is_done: bool
    position: int
    created_at: datetime
    updated_at: datetime


class Progress(ApiModel):
    done: int
    total: int
    percent: int


class ChecklistResponse(ApiModel):
    task_id: str
    items: list[ChecklistItemResponse]
    progress: Progress

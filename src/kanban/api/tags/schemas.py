"""Tag requests and responses on the wire (camelCase)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import StringConstraints

from kanban.api.schemas import ApiModel, RequestModel
from kanban.api.tags.state import DEFAULT_COLOR

TagName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
# Stored lower-cased, so "#AABBCC" and "#aabbcc" are the same colour.
TagColor = Annotated[str, StringConstraints(pattern=r"^#[0-9a-fA-F]{6}$", to_lower=True)]


class CreateTagRequest(RequestModel):
    name: TagName
    color: TagColor = DEFAULT_COLOR


class UpdateTagRequest(RequestModel):
    name: TagName | None = None
    color: TagColor | None = None


class AttachTagRequest(RequestModel):
    """Attach a tag to a task by name; a tag of that name (any case) is created when the board has none."""

    name: TagName
    color: TagColor | None = None


class TagResponse(ApiModel):
    id: str
    board_id: str
    name: str
    color: str
    version: int
    created_at: datetime
    updated_at: datetime

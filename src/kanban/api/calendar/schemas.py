"""Calendar feed responses on the wire (camelCase); the URL is the secret and is shown once."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from kanban.api.schemas import ApiModel


class IssuedFeedOut(ApiModel):
    url: str = Field(description="the secret feed URL; shown only in this response")
    created_at: datetime


class FeedStatusOut(ApiModel):
    active: bool
    created_at: datetime | None = None

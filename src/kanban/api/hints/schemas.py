"""Hints on the wire (camelCase)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from kanban.api.schemas import ApiModel

HintStatus = Literal["proposed", "applied", "dismissed", "undone"]


class HintOut(ApiModel):
    id: str
    task_id: str
    draft_id: str | None
    job_id: str | None
    agent_id: str
    hint_type: str
    title: str | None
    content: str | None
    data: dict[str, Any] | None
    confidence: float | None
    untrusted: bool
    status: HintStatus
    auto_applied: bool
    applied_at: datetime | None
    dismissed_at: datetime | None
    created_at: datetime
    updated_at: datetime


class AnalysisAccepted(ApiModel):
    task_id: str
    status: Literal["requested", "cancelling"]

"""Hints on the wire (camelCase)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from kanban.api.schemas import ApiModel

HintStatus = Literal["proposed", "applied", "dismissed", "undone", "superseded"]


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
    # Which proposal this one replaced, and which replaced it (None while it stands, or when withdrawn).
    supersedes: str | None = None
    superseded_by: str | None = None
    created_at: datetime
    updated_at: datetime


class AnalysisOut(ApiModel):
    """The task's last analysis: pending (none finished yet), analysed (hints or none), or failed."""

    task_id: str
    status: Literal["pending", "analysed", "failed"]
    job_id: str | None = None
    task_version: int | None = None
    proposed: int = 0
    failed_agents: dict[str, str] | None = None
    error: str | None = None
    analysed_at: datetime | None = None


class AnalysisAccepted(ApiModel):
    task_id: str
    status: Literal["requested", "cancelling"]

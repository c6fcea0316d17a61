"""Capture requests and responses on the wire (camelCase)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field, model_validator

from kanban.api.capture.parser import ParsedCapture
from kanban.api.schemas import ApiModel, RequestModel
from kanban.api.tasks.schemas import TaskOut
from kanban.api.templates.schemas import TemplateResponse
from kanban.contracts.events import Priority, TaskContext

# Channels a client may name; "email" is set only by the mail paths, never claimed by a client.
ClientSource = Literal["web", "api", "bookmarklet", "share", "mcp", "cli"]


class PreviewRequest(RequestModel):
    text: str = Field(max_length=2000)
    board_id: str | None = None


class CaptureRequest(RequestModel):
    """Quick-add text, or a URL (the Worker fetches the page later), or both; `note` becomes the description."""

    text: str | None = Field(default=None, max_length=2000)
    url: str | None = Field(default=None, max_length=2000, pattern=r"^https?://\S+$")
    note: str | None = Field(default=None, max_length=100_000)
    board_id: str | None = None
    source: ClientSource = "api"

    @model_validator(mode="after")
    def _something_to_capture(self) -> CaptureRequest:
        if not (self.text or "").strip() and not self.url:
            raise ValueError("give text or a url")
        return self


class SpanOut(ApiModel):
    kind: str
    start: int
    end: int
    text: str
    value: str


class ProjectRef(ApiModel):
    name: str
    id: str | None = Field(description="the board's project of that name; null when capture will create it")


class PreviewOut(ApiModel):
    title: str
    due_at: datetime | None
    due_all_day: bool
    context: TaskContext | None
    tags: list[str]
    project: ProjectRef | None
    priority: Priority | None
    duration_minutes: int | None
    recurrence: str | None
    spans: list[SpanOut]
    warnings: list[str]
    timezone: str

    @classmethod
    def of(cls, parsed: ParsedCapture, timezone: str, project_id: str | None) -> PreviewOut:
        return cls(
            title=parsed.title,
            due_at=parsed.due_at,
            due_all_day=parsed.due_all_day,
            context=parsed.context,
            tags=list(parsed.tags),
            project=ProjectRef(name=parsed.project, id=project_id) if parsed.project else None,
            priority=parsed.priority,
            duration_minutes=parsed.duration_minutes,
            recurrence=parsed.recurrence,
            spans=[SpanOut(kind=s.kind, start=s.start, end=s.end, text=s.text, value=s.value) for s in parsed.spans],
            warnings=list(parsed.warnings),
            timezone=timezone,
        )


class CaptureOut(ApiModel):
    kind: Literal["task", "template"]
    task: TaskOut | None = None
    template: TemplateResponse | None = None

"""Recurring template requests and responses on the wire (camelCase)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import ConfigDict, Field, StringConstraints, field_validator
from pydantic.alias_generators import to_camel

from kanban.api import limits
from kanban.api.schemas import ApiModel, RequestModel
from kanban.api.templates.rrule import InvalidRecurrence, parse_rrule, parse_timezone
from kanban.contracts.events import TaskContext

TemplateName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
ChecklistTitle = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
RRule = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class TemplatePayload(RequestModel):
    """The task each occurrence creates."""

    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
    description: limits.Description | None = None
    context: TaskContext | None = None
    column_id: limits.Id | None = None
    project_id: limits.Id | None = None
    needs_breakdown: bool = False
    checklist: list[ChecklistTitle] = Field(default_factory=list, max_length=100)
    metadata: limits.Metadata = None


def _valid_rrule(v: str | None) -> str | None:
    if v is not None:
        try:
            parse_rrule(v)
        except InvalidRecurrence as exc:
            raise ValueError(str(exc)) from None
    return v


def _valid_timezone(v: str | None) -> str | None:
    if v is not None:
        try:
            parse_timezone(v)
        except InvalidRecurrence as exc:
            raise ValueError(str(exc)) from None
    return v


class CreateTemplateRequest(RequestModel):
    name: TemplateName
    description: str | None = Field(default=None, max_length=20_000)
    payload: TemplatePayload
    rrule: RRule
    timezone: str = "UTC"
    is_active: bool = True

    @field_validator("rrule")
    @classmethod
    def _rrule_supported(cls, v: str | None) -> str | None:
        return _valid_rrule(v)

    @field_validator("timezone")
    @classmethod
    def _timezone_known(cls, v: str | None) -> str | None:
        return _valid_timezone(v)


class UpdateTemplateRequest(RequestModel):
    """Only the fields given change; `payload` is replaced whole."""

    name: TemplateName | None = None
    description: str | None = Field(default=None, max_length=20_000)
    payload: TemplatePayload | None = None
    rrule: RRule | None = None
    timezone: str | None = None
    is_active: bool | None = None

    @field_validator("rrule")
    @classmethod
    def _rrule_supported(cls, v: str | None) -> str | None:
        return _valid_rrule(v)

    @field_validator("timezone")
    @classmethod
    def _timezone_known(cls, v: str | None) -> str | None:
        return _valid_timezone(v)


class TemplatePayloadOut(ApiModel):
    """A stored payload; lenient, so a template imported from the legacy system still reads."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="allow")

    title: str
    description: str | None = None
    context: str | None = None
    column_id: str | None = None
    project_id: str | None = None
    needs_breakdown: bool = False
    checklist: list[str] = Field(default_factory=list)
    metadata: dict[str, Any] | None = None


class TemplateResponse(ApiModel):
    id: str
    board_id: str
    name: str
    description: str | None
    payload: TemplatePayloadOut
    rrule: str
    timezone: str
    is_active: bool
    next_run_at: datetime | None
    last_run_at: datetime | None
    created_at: datetime
    updated_at: datetime

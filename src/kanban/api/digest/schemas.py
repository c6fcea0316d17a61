"""Digest settings on the wire (camelCase)."""

from __future__ import annotations

from pydantic import Field

from kanban.api.schemas import ApiModel, RequestModel


class DigestSettingsIn(RequestModel):
    enabled: bool
    hour: int = Field(ge=0, le=23, description="the hour of the day, in the user's time zone")


class DigestSettingsOut(ApiModel):
    enabled: bool
    hour: int
    timezone: str
    smtp_configured: bool

"""Webhook requests and responses on the wire (camelCase); the secret appears once, in the creating response."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from kanban.api.schemas import ApiModel, RequestModel


class CreateWebhookRequest(RequestModel):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    url: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)] = Field(
        description="http or https; its host must resolve to public addresses only (unless the operator allows private ones)"
    )


class WebhookOut(ApiModel):
    id: str
    name: str
    url: str
    created_at: datetime


class CreatedWebhookOut(WebhookOut):
    secret: str = Field(description="signs every delivery (X-Kanban-Signature); shown only in this response")


class DeliveryOut(ApiModel):
    id: str = Field(description="also sent as X-Kanban-Delivery: the receiver's de-duplication key")
    webhook_id: str
    rule_id: str | None
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    next_attempt_at: datetime | None = Field(description="when a pending delivery is tried next")
    last_status: int | None = Field(description="the receiver's last HTTP status, if it answered")
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    payload: dict[str, Any]

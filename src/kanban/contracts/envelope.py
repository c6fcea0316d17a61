"""The envelope every event travels in, whatever the transport."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, Field


class Envelope(BaseModel):
    """One event on the wire: identity, causality and the aggregate position it describes."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: UUID = Field(default_factory=uuid4)
    type: str
    version: int = Field(ge=1)
    occurred_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    source: str
    correlation_id: UUID
    causation_id: UUID | None = None
    aggregate_type: str
    aggregate_id: str
    aggregate_version: int | None = None
    payload: dict[str, Any]

    @property
    def key(self) -> str:
        """The event id as text: the broker dedupe id and the inbox key."""
        return str(self.id)

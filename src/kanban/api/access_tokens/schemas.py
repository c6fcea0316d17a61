"""Personal access token requests and responses on the wire (camelCase); the token itself appears once."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints, field_validator

from kanban.api.schemas import ApiModel, RequestModel
from kanban.api.security.scopes import Scope


class CreateTokenRequest(RequestModel):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    scopes: list[Scope] = Field(min_length=1, max_length=3)
    expires_in_days: int | None = Field(default=None, ge=1, le=3650, description="none: until revoked")

    @field_validator("scopes")
    @classmethod
    def _distinct(cls, v: list[Scope]) -> list[Scope]:
        return sorted(set(v))


class TokenOut(ApiModel):
    id: str
    name: str
    scopes: list[str]
    prefix: str = Field(description="the token's first characters, to tell tokens apart")
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class CreatedTokenOut(TokenOut):
    token: str = Field(description="shown only in this response; only its digest is kept")

"""What the accounts routes accept and answer. No model here has a field for a password hash."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Annotated, Literal
from zoneinfo import available_timezones

from pydantic import AfterValidator, Field, StringConstraints

from kanban.api.schemas import ApiModel, RequestModel
from kanban.api.security.emails import normalise_email
from kanban.api.security.passwords import MAX_LENGTH, MIN_LENGTH


@cache
def _iana_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def _iana_zone(value: str) -> str:
    if value not in _iana_zones():
        raise ValueError("must be an IANA time zone name such as Europe/Paris")
    return value


Password = Annotated[str, Field(min_length=MIN_LENGTH, max_length=MAX_LENGTH)]
TimeZone = Annotated[str, AfterValidator(_iana_zone)]
DisplayName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


Email = Annotated[str, StringConstraints(strip_whitespace=True, max_length=320), AfterValidator(normalise_email)]


class RegisterRequest(RequestModel):
    email: Email
    password: Password
    name: DisplayName | None = None
    timezone: TimeZone = "UTC"


class LoginRequest(RequestModel):
    # Any string: a malformed email simply fails to sign in, with the same 401 as a wrong one.
    email: Annotated[str, Field(min_length=1, max_length=320)]
    password: Annotated[str, Field(min_length=1, max_length=MAX_LENGTH)]


class RefreshRequest(RequestModel):
    refresh_token: Annotated[str, Field(min_length=1, max_length=200)]


class LogoutRequest(RequestModel):
    # Optional: the access token (or cookie) already names the sign-in that ends.
    refresh_token: Annotated[str, Field(min_length=1, max_length=200)] | None = None


class UpdateProfileRequest(RequestModel):
    """Only the fields present change; `name: null` clears the name."""

    name: DisplayName | None = None
    timezone: TimeZone | None = None


class ChangePasswordRequest(RequestModel):
    current_password: Annotated[str, Field(min_length=1, max_length=MAX_LENGTH)]
    new_password: Password


class UserOut(ApiModel):
    id: str
    email: str
    name: str | None
    timezone: str
    default_board_id: str | None
    created_at: datetime


class TokenPair(ApiModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the access token expires")


class AuthSession(TokenPair):
    user: UserOut


class FieldError(ApiModel):
    field: str
    message: str


class CookieSessionOut(ApiModel):
    user: UserOut
    expires_at: datetime = Field(description="When this sign-in ends unless it is renewed or revoked first")
    csrf_token: str | None = Field(
        default=None, description="For a cookie session: the X-CSRF-Token value unsafe requests must send"
    )

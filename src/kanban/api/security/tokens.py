"""Short-lived signed access tokens (JWT, HS256). Refresh tokens are opaque and live in the database."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from uuid import uuid4

import jwt

from kanban.api.errors import Unauthorized
from kanban.db.types import utcnow

ALGORITHM = "HS256"


def issue_access_token(user_id: str, secret: str, minutes: int) -> str:
    now = utcnow()
    claims = {"sub": user_id, "iat": now, "exp": now + timedelta(minutes=minutes), "jti": str(uuid4()), "typ": "access"}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def user_id_from_access_token(token: str, secret: str) -> str:
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub"]})
    except jwt.ExpiredSignatureError:
        raise Unauthorized("the access token has expired") from None
    except jwt.PyJWTError:
        raise Unauthorized("the access token is invalid") from None
    if claims.get("typ") != "access":
        raise Unauthorized("not an access token")
    return str(claims["sub"])


def new_refresh_token() -> str:
    """An opaque, unguessable refresh token (256 random bits); only its digest is stored."""
    return secrets.token_urlsafe(32)


def refresh_token_digest(token: str) -> str:
    """The sha256 hex digest stored in `refresh_tokens.token_hash` (a fast hash suffices for 256 random bits)."""
    return hashlib.sha256(token.encode()).hexdigest()

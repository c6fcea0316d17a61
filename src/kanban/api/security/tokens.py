"""Short-lived signed access tokens (JWT, HS256) and opaque random tokens whose digest is stored.

An access token names its sign-in (`sid`, an `auth_sessions` row): revoking the row ends the token
before its `exp`. Refresh tokens and cookie sessions are opaque; only their sha256 is stored.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from uuid import uuid4

from kanban.api.errors import Unauthorized
from kanban.api.security.hs256 import jwt
from kanban.db.types import utcnow

ALGORITHM = "HS256"


@dataclass(frozen=True)
class AccessClaims:
    user_id: str
    session_id: str
    expires_at: datetime


def issue_access_token(user_id: str, session_id: str, secret: str, minutes: int) -> str:
    now = utcnow()
    claims = {
        "sub": user_id,
        "sid": session_id,
        "iat": now,
        "exp": now + timedelta(minutes=minutes),
        "jti": str(uuid4()),
        "typ": "access",
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def decode_access_token(token: str, secret: str) -> AccessClaims:
    """The claims of a well-signed, unexpired access token; whether its sign-in is live is the caller's check."""
    claims = _verified_claims(token, secret)
    if claims.expires_at <= utcnow():
        raise Unauthorized("the access token has expired")
    return claims


# Verifying a token's signature is the same work, with the same answer, every time the same token
# comes: the claims of recently seen tokens are kept (a failed verification is not). Their expiry is
# checked on every use above; whether the sign-in still stands is never kept (the caller reads it).
@lru_cache(maxsize=4096)
def _verified_claims(token: str, secret: str) -> AccessClaims:
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub"]})
    except jwt.ExpiredSignatureError:
        raise Unauthorized("the access token has expired") from None
    except jwt.PyJWTError:
        raise Unauthorized("the access token is invalid") from None
    if claims.get("typ") != "access":
        raise Unauthorized("not an access token")
    if not isinstance(claims.get("sid"), str):
        # Issued before sign-ins could be revoked: refused, the client refreshes or signs in again.
        raise Unauthorized("the access token is invalid")
    return AccessClaims(str(claims["sub"]), claims["sid"], datetime.fromtimestamp(int(claims["exp"]), UTC))


def new_opaque_token() -> str:
    """An unguessable token (256 random bits) for refresh tokens and cookie sessions; only its digest is stored."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """The sha256 hex digest stored for an opaque token (a fast hash suffices for 256 random bits)."""
    return hashlib.sha256(token.encode()).hexdigest()

"""An access token's verified claims are kept between requests; its expiry and signature still decide."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kanban.api.errors import Unauthorized
from kanban.api.security import tokens
from kanban.db.types import utcnow

SECRET = "a test secret that is long enough for HS256"


def test_a_token_seen_before_is_refused_once_it_has_expired(monkeypatch: pytest.MonkeyPatch) -> None:
    token = tokens.issue_access_token("user-1", "session-1", SECRET, minutes=15)
    assert tokens.decode_access_token(token, SECRET).session_id == "session-1"
    later = utcnow() + timedelta(minutes=16)
    monkeypatch.setattr(tokens, "utcnow", lambda: later)
    with pytest.raises(Unauthorized, match="expired"):
        tokens.decode_access_token(token, SECRET)


def test_a_tampered_copy_of_a_token_seen_before_is_refused() -> None:
    token = tokens.issue_access_token("user-1", "session-1", SECRET, minutes=15)
    assert tokens.decode_access_token(token, SECRET).user_id == "user-1"
    header, payload, signature = token.split(".")
    forged = ".".join([header, payload, ("A" if signature[0] != "A" else "B") + signature[1:]])
    with pytest.raises(Unauthorized, match="invalid"):
        tokens.decode_access_token(forged, SECRET)
    with pytest.raises(Unauthorized, match="invalid"):
        tokens.decode_access_token(token, "another secret, also long enough for HS256")

"""Who is making a request, and with what credential: resolved once per request by `deps.py`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

PrincipalKind = Literal["access", "session", "pat"]


@dataclass(frozen=True)
class Principal:
    """An authenticated caller.

    `kind` is the credential: a bearer access token ("access"), the browser's cookie session
    ("session") or a personal access token ("pat"). `credential_id` is the row that can revoke it
    (the auth session, or the token). `scopes` is empty for sign-ins, which may do anything the
    user may; `expires_at` is when the credential stops working even if nobody revokes it.
    """

    user_id: str
    kind: PrincipalKind
    credential_id: str
    expires_at: datetime
    scopes: frozenset[str] = frozenset()

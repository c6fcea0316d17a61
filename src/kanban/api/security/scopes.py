"""What a personal access token's scopes let it do: one rule, used by every route and by the MCP tools.

`write` may do what the user may, `read` only safe methods, `capture` only the capture routes. No
token may manage tokens or webhooks or change the password: a leaked token cannot make itself
permanent, nor open a channel that sends the board elsewhere.
"""

from __future__ import annotations

from typing import Literal

Scope = Literal["capture", "read", "write"]
SCOPES: tuple[Scope, ...] = ("capture", "read", "write")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CAPTURE_PATHS = ("/api/v1/capture",)
SIGN_IN_ONLY_PATHS = ("/api/v1/tokens", "/api/v1/webhooks", "/api/v1/users/me/password", "/api/v1/auth")


def token_allows(scopes: frozenset[str], method: str, path: str) -> bool:
    if _under(path, SIGN_IN_ONLY_PATHS):
        return False
    if "write" in scopes:
        return True
    if "read" in scopes and method.upper() in SAFE_METHODS:
        return True
    return "capture" in scopes and _under(path, CAPTURE_PATHS)


def _under(path: str, prefixes: tuple[str, ...]) -> bool:
    return any(path == p or path.startswith(p + "/") for p in prefixes)

"""The HTTP API as the MCP tools see it: every call carries the caller's personal access token.

The API enforces the token's scopes, so a tool can never do more than its token allows; a refusal
comes back to the assistant as a tool error naming the reason.
"""

from __future__ import annotations

from typing import Any

import httpx


class ApiRefused(Exception):
    """The API answered with a problem (4xx/5xx); the message is its title and detail."""


class KanbanApi:
    def __init__(self, api_url: str, client: httpx.AsyncClient | None = None) -> None:
        self._base = f"{api_url.rstrip('/')}/api/v1"
        self._client = client or httpx.AsyncClient(timeout=20)

    async def call(
        self, token: str, method: str, path: str, *, json: Any = None, params: dict[str, Any] | None = None
    ) -> Any:
        headers = {"Authorization": f"Bearer {token}"}
        try:
            answer = await self._client.request(method, self._base + path, json=json, params=params, headers=headers)
        except httpx.TransportError as exc:
            raise ApiRefused(f"the API at {self._base} cannot be reached: {exc}") from None
        if answer.status_code >= 400:
            raise ApiRefused(_problem(answer))
        return answer.json() if answer.content else None

    async def aclose(self) -> None:
        await self._client.aclose()


def _problem(answer: httpx.Response) -> str:
    try:
        body = answer.json()
    except ValueError:
        return f"{answer.status_code}: {answer.text[:200]}"
    if answer.status_code == 403:
        return f"403 {body.get('title', 'Forbidden')}: {body.get('detail', '')} (the token's scope does not allow this)"
    return f"{answer.status_code} {body.get('title', 'Error')}: {body.get('detail', '')}".strip()

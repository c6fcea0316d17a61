"""Sending one delivery: a POST to the vetted address itself, bounded in time and in what is read back.

No redirects (a receiver that moved is a failed delivery, not a hop we did not vet), no
environment proxies (they would connect on our behalf to addresses we never checked), no kept-alive
connections (each attempt connects to its own freshly vetted address).
"""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass

import httpx

from kanban.api.webhooks.target import BadTarget, vetted_target
from kanban.web.addresses import AddressPolicy, Resolver, SystemResolver, pinned_url

USER_AGENT = "PersonalKanban-Webhooks/1"


@dataclass(frozen=True)
class SendLimits:
    connect_seconds: float = 5.0
    total_seconds: float = 15.0
    # Only the start of an answer is read (for the delivery record); the rest is never downloaded.
    max_response_bytes: int = 16 * 1024


@dataclass(frozen=True)
class Attempt:
    """What one attempt came to: the receiver's status, or why there was none, and whether to try again."""

    status: int | None
    error: str | None
    retryable: bool

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def judged(status: int) -> Attempt:
    """2xx delivered; 5xx, 408 and 429 worth another attempt; anything else (3xx, 4xx) final."""
    if 200 <= status < 300:
        return Attempt(status, None, False)
    return Attempt(status, f"HTTP {status}", status >= 500 or status in (408, 429))


class WebhookSender:
    def __init__(
        self, policy: AddressPolicy, *, limits: SendLimits | None = None, resolver: Resolver | None = None,
        tls: ssl.SSLContext | None = None,
    ) -> None:  # fmt: skip
        self.policy = policy
        self.resolver = resolver or SystemResolver()
        self._limits = limits or SendLimits()
        self._tls = tls

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> Attempt:
        try:
            async with asyncio.timeout(self._limits.total_seconds):
                return await self._post(url, body, headers)
        except TimeoutError:
            return Attempt(None, f"no answer within {self._limits.total_seconds:g}s", True)

    async def _post(self, url: str, body: bytes, headers: dict[str, str]) -> Attempt:
        try:
            target = await vetted_target(url, self.policy, self.resolver)
        except BadTarget as exc:
            return Attempt(None, f"refused: {exc}", True)  # DNS may answer differently later
        limits = self._limits
        timeout = httpx.Timeout(limits.total_seconds, connect=limits.connect_seconds, pool=limits.connect_seconds)
        async with httpx.AsyncClient(
            timeout=timeout, follow_redirects=False, trust_env=False, verify=self._tls_context(),
            limits=httpx.Limits(max_keepalive_connections=0),
        ) as client:  # fmt: skip
            request = client.build_request(
                "POST",
                pinned_url(target.parts, target.address, target.port),
                content=body,
                headers={
                    **headers, "Host": target.parts.netloc, "User-Agent": USER_AGENT,
                    "Content-Type": "application/json", "Accept-Encoding": "identity",
                },
                extensions={"sni_hostname": target.host} if target.parts.scheme == "https" else {},
            )  # fmt: skip
            try:
                response = await client.send(request, stream=True)
            except httpx.TimeoutException as exc:
                return Attempt(None, f"{target.host} did not answer in time ({type(exc).__name__})", True)
            except httpx.HTTPError as exc:
                return Attempt(None, f"cannot reach {target.host}: {type(exc).__name__}", True)
            try:
                await self._read_some(response)
            finally:
                await response.aclose()
        return judged(response.status_code)

    def _tls_context(self) -> ssl.SSLContext:
        # Loading the trust store costs more than a whole delivery on loopback: once per sender.
        if self._tls is None:
            self._tls = ssl.create_default_context()
        return self._tls

    async def _read_some(self, response: httpx.Response) -> None:
        size = 0
        try:
            async for chunk in response.aiter_raw():
                size += len(chunk)
                if size >= self._limits.max_response_bytes:
                    break
        except httpx.HTTPError:
            pass  # the status line is what counts; a body cut short changes nothing

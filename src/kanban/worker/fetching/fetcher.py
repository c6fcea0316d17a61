"""The page fetcher port and its guarded implementation.

Each hop of a fetch resolves the host once, refuses internal addresses unless allow-listed,
and connects to the vetted address itself (Host header and TLS server name kept), so a DNS
answer that changes between check and connect cannot redirect the request inward.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urljoin, urlsplit

import httpx

from kanban.worker.fetching.addresses import (
    AddressPolicy,
    IPNetwork,
    Resolver,
    SystemResolver,
    pinned_url,
    vetted_addresses,
)
from kanban.worker.fetching.errors import FetchError, FetchFailed, FetchRefused, FetchTimedOut, FetchTooLarge
from kanban.worker.fetching.page import FetchedPage

_REDIRECTS = (301, 302, 303, 307, 308)
_DEFAULT_PORTS = {"http": 80, "https": 443}


class PageFetcher(Protocol):
    async def fetch(self, url: str) -> FetchedPage:
        """The page at url after redirects; raises a FetchError subclass when it cannot or may not be had."""
        ...


@dataclass(frozen=True)
class FetchLimits:
    max_bytes: int = 2 * 1024 * 1024
    total_seconds: float = 10.0
    connect_seconds: float = 3.0
    read_seconds: float = 5.0
    max_redirects: int = 5


class GuardedFetcher:
    user_agent = "PersonalKanban-Worker/0.1 (+link summaries)"

    def __init__(
        self,
        allow_hosts: Iterable[str] = (),
        allow_networks: Iterable[IPNetwork] = (),
        *,
        limits: FetchLimits | None = None,
        resolver: Resolver | None = None,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self._policy = AddressPolicy.of(allow_hosts, allow_networks)
        self._limits = limits or FetchLimits()
        self._resolver = resolver or SystemResolver()
        self._tls = tls

    async def fetch(self, url: str) -> FetchedPage:
        try:
            async with asyncio.timeout(self._limits.total_seconds):
                return await self._follow(url)
        except TimeoutError:
            raise FetchTimedOut(f"fetching {url} took longer than {self._limits.total_seconds}s") from None

    async def _follow(self, url: str) -> FetchedPage:
        timeout = httpx.Timeout(
            self._limits.read_seconds, connect=self._limits.connect_seconds, pool=self._limits.connect_seconds
        )
        # No environment proxies: a proxy would connect on our behalf to addresses we never vetted.
        # No kept-alive connections either: each hop gets its own, made to its own vetted address and name.
        async with httpx.AsyncClient(
            timeout=timeout,
            follow_redirects=False,
            trust_env=False,
            verify=self._tls_context(),
            limits=httpx.Limits(max_keepalive_connections=0),
        ) as client:
            for _ in range(self._limits.max_redirects + 1):
                outcome = await self._hop(client, url)
                if isinstance(outcome, FetchedPage):
                    return outcome
                url = outcome
        raise FetchFailed(f"more than {self._limits.max_redirects} redirects")

    async def _hop(self, client: httpx.AsyncClient, url: str) -> FetchedPage | str:
        """One request: the page, or the URL it redirects to."""
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in _DEFAULT_PORTS:
            raise FetchRefused(f"only http and https URLs are fetched, not {scheme or 'a relative URL'}")
        if not parts.hostname:
            raise FetchRefused(f"{url} has no host")
        if parts.username or parts.password:
            raise FetchRefused("URLs with credentials are not fetched")
        try:
            port = parts.port or _DEFAULT_PORTS[scheme]
        except ValueError:
            raise FetchRefused(f"{url} has an invalid port") from None
        host = parts.hostname
        address = (await vetted_addresses(host, port, self._policy, self._resolver))[0]
        request = client.build_request(
            "GET",
            pinned_url(parts._replace(scheme=scheme), address, port),
            headers={
                "Host": parts.netloc.rsplit("@", 1)[-1],
                "User-Agent": self.user_agent,
                "Accept": "*/*",
                # Uncompressed only: the size cap then bounds memory too, with no decompression bomb.
                "Accept-Encoding": "identity",
            },
            extensions={"sni_hostname": host} if scheme == "https" else {},
        )
        try:
            response = await client.send(request, stream=True)
        except httpx.TimeoutException as exc:
            raise FetchFailed(f"{host} did not answer in time ({type(exc).__name__})") from None
        except httpx.HTTPError as exc:
            raise FetchFailed(f"cannot fetch from {host}: {type(exc).__name__}: {exc}") from None
        try:
            if response.status_code in _REDIRECTS and "location" in response.headers:
                return urljoin(url, response.headers["location"])
            if response.status_code >= 400:
                raise FetchFailed(f"{host} answered HTTP {response.status_code}")
            return await self._read(response, url)
        finally:
            await response.aclose()

    async def _read(self, response: httpx.Response, url: str) -> FetchedPage:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self._limits.max_bytes:
            raise FetchTooLarge(f"{url} is {declared} bytes, more than {self._limits.max_bytes}")
        chunks: list[bytes] = []
        size = 0
        truncated = False
        try:
            async for chunk in response.aiter_bytes():
                chunks.append(chunk)
                size += len(chunk)
                if size >= self._limits.max_bytes:
                    # Enough for a summary; stop reading instead of buffering whatever the server sends.
                    truncated = True
                    break
        except httpx.HTTPError as exc:
            raise FetchFailed(f"reading {url} failed: {type(exc).__name__}") from None
        media_type, charset = _content_type(response.headers.get("content-type", ""))
        return FetchedPage(
            url=url,
            status=response.status_code,
            content_type=media_type,
            charset=charset,
            body=b"".join(chunks)[: self._limits.max_bytes],
            truncated=truncated,
        )

    def _tls_context(self) -> ssl.SSLContext:
        if self._tls is None:
            self._tls = ssl.create_default_context()
        return self._tls


def _content_type(header: str) -> tuple[str, str | None]:
    media_type, _, params = header.partition(";")
    charset = None
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            charset = value.strip().strip("\"'") or None
    return media_type.strip().lower() or "application/octet-stream", charset


__all__ = ["FetchError", "FetchLimits", "GuardedFetcher", "PageFetcher"]

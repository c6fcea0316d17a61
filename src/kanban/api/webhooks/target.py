"""Where a webhook may point: an http(s) URL without credentials whose host resolves to allowed addresses.

Checked when the webhook is registered (a 422 naming `url`) and again before every attempt, since
what a name resolves to can change after it was registered.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from kanban.web.addresses import (
    AddressPolicy,
    AddressRefused,
    HostUnresolved,
    IPAddress,
    Resolver,
    vetted_addresses,
)

DEFAULT_PORTS = {"http": 80, "https": 443}


class BadTarget(ValueError):
    """The URL may not receive deliveries; the message says why in one line."""


@dataclass(frozen=True)
class Target:
    parts: SplitResult
    host: str
    port: int
    address: IPAddress


def _parse(url: str) -> tuple[SplitResult, str, int]:
    if any(c.isspace() or not c.isprintable() for c in url):
        raise BadTarget("must not contain spaces or control characters")
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise BadTarget(f"is not a valid URL ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise BadTarget("must be an http or https URL")
    if not parts.hostname:
        raise BadTarget("has no host")
    if parts.username or parts.password:
        raise BadTarget("must not carry credentials (the signature authenticates each delivery)")
    if parts.fragment:
        raise BadTarget("must not have a #fragment")
    try:
        port = parts.port if parts.port is not None else DEFAULT_PORTS[scheme]
    except ValueError:
        raise BadTarget("has an invalid port") from None
    if port == 0:
        raise BadTarget("has an invalid port")
    return parts._replace(scheme=scheme), parts.hostname, port


async def vetted_target(url: str, policy: AddressPolicy, resolver: Resolver) -> Target:
    """The URL's parts and the one vetted address to connect to; raises BadTarget."""
    parts, host, port = _parse(url)
    try:
        addresses = await vetted_addresses(host, port, policy, resolver)
    except (AddressRefused, HostUnresolved) as exc:
        raise BadTarget(str(exc)) from None
    return Target(parts, host, port, addresses[0])

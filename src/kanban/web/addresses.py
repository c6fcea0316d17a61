"""Which IP addresses an outgoing request may go to, and resolving a host name to vetted addresses.

Both services make requests to URLs people give them (the Worker fetches linked pages, the API
delivers webhooks): each resolves the host once, refuses it when any answer is internal, and then
connects to a vetted address itself (`pinned_url`), so a DNS answer that changes between the check
and the connection cannot turn the request inward.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import SplitResult, urlunsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class AddressRefused(Exception):
    """The host resolves to an address the policy does not allow; nothing was sent to it."""


class HostUnresolved(Exception):
    """The host name has no address (DNS failed or answered nothing)."""


class Resolver(Protocol):
    async def resolve(self, host: str, port: int) -> list[str]:
        """Every address the host name resolves to, as text."""
        ...


class SystemResolver:
    """The operating system's resolver, called without blocking the event loop."""

    async def resolve(self, host: str, port: int) -> list[str]:
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise HostUnresolved(f"cannot resolve {host}: {exc.strerror}") from None
        except UnicodeError:  # a label IDNA cannot encode (empty, longer than 63 characters)
            raise HostUnresolved(f"cannot resolve {host}: not a valid host name") from None
        return [str(info[4][0]) for info in infos]


@dataclass(frozen=True)
class AddressPolicy:
    """Public addresses are allowed; everything internal only when allow-listed by host name or network."""

    allow_hosts: frozenset[str] = frozenset()
    allow_networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def of(cls, allow_hosts: Iterable[str] = (), allow_networks: Iterable[IPNetwork] = ()) -> AddressPolicy:
        return cls(frozenset(h.strip().lower().rstrip(".") for h in allow_hosts), tuple(allow_networks))

    @classmethod
    def anything(cls) -> AddressPolicy:
        """Every address allowed (an operator's explicit choice, e.g. a receiver on this machine)."""
        return cls(allow_networks=(ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0")))

    def host_allowed(self, host: str) -> bool:
        return host.lower().rstrip(".") in self.allow_hosts

    def refusal(self, address: IPAddress) -> str | None:
        """Why the address may not be contacted, or None when it may."""
        if any(address in network for network in self.allow_networks if network.version == address.version):
            return None
        if isinstance(address, ipaddress.IPv6Address) and (
            address.ipv4_mapped is not None or address.sixtofour is not None or address.teredo is not None
        ):
            return "an IPv4 address embedded in IPv6"
        for flag in ("loopback", "private", "link_local", "multicast", "reserved", "unspecified"):
            if getattr(address, f"is_{flag}"):
                return f"a {flag.replace('_', '-')} address"
        if not address.is_global:
            return "not a public address"
        return None


async def vetted_addresses(host: str, port: int, policy: AddressPolicy, resolver: Resolver) -> list[IPAddress]:
    """Resolve once and check every answer: one internal address refuses the host, so a name cannot mix them."""
    literal = _literal(host)
    texts: Sequence[str] = [str(literal)] if literal is not None else await resolver.resolve(host, port)
    addresses = [ipaddress.ip_address(text.split("%", 1)[0]) for text in texts]
    if not addresses:
        raise HostUnresolved(f"{host} resolves to no address")
    if policy.host_allowed(host):
        return addresses
    for address in addresses:
        reason = policy.refusal(address)
        if reason is not None:
            raise AddressRefused(f"{host} resolves to {address}, {reason}")
    return addresses


def pinned_url(parts: SplitResult, address: IPAddress, port: int) -> str:
    """The URL with its host replaced by the vetted address, so the connection goes exactly there."""
    host = f"[{address}]" if address.version == 6 else str(address)
    return urlunsplit((parts.scheme, f"{host}:{port}", parts.path or "/", parts.query, ""))


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None

"""Which hosts and IP addresses the fetcher may connect to, and resolving a host name to vetted addresses."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from kanban.worker.fetching.errors import FetchFailed, FetchRefused

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


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
            raise FetchFailed(f"cannot resolve {host}: {exc.strerror}") from None
        return [str(info[4][0]) for info in infos]


@dataclass(frozen=True)
class AddressPolicy:
    """Public addresses are allowed; everything internal only when allow-listed by host name or network."""

    allow_hosts: frozenset[str] = frozenset()
    allow_networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def of(cls, allow_hosts: Iterable[str] = (), allow_networks: Iterable[IPNetwork] = ()) -> AddressPolicy:
        return cls(frozenset(h.strip().lower().rstrip(".") for h in allow_hosts), tuple(allow_networks))

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
        raise FetchFailed(f"{host} resolves to no address")
    if policy.host_allowed(host):
        return addresses
    for address in addresses:
        reason = policy.refusal(address)
        if reason is not None:
            raise FetchRefused(f"{host} resolves to {address}, {reason}")
    return addresses


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None

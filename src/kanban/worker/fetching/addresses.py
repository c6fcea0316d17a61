"""The shared address guard (kanban.web.addresses), with the fetcher's own errors."""

from __future__ import annotations

from kanban.web.addresses import (
    AddressPolicy,
    AddressRefused,
    HostUnresolved,
    IPAddress,
    IPNetwork,
    Resolver,
    SystemResolver,
    pinned_url,
)
from kanban.web.addresses import vetted_addresses as _vetted
from kanban.worker.fetching.errors import FetchFailed, FetchRefused


async def vetted_addresses(host: str, port: int, policy: AddressPolicy, resolver: Resolver) -> list[IPAddress]:
    """`kanban.web.addresses.vetted_addresses`, raising FetchRefused or FetchFailed."""
    try:
        return await _vetted(host, port, policy, resolver)
    except AddressRefused as exc:
        raise FetchRefused(str(exc)) from None
    except HostUnresolved as exc:
        raise FetchFailed(str(exc)) from None


__all__ = ["AddressPolicy", "IPAddress", "IPNetwork", "Resolver", "SystemResolver", "pinned_url", "vetted_addresses"]

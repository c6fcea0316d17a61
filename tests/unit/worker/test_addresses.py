"""Which addresses the fetcher refuses: everything internal unless allow-listed."""

from __future__ import annotations

import ipaddress

import pytest

from kanban.worker.fetching.addresses import AddressPolicy, vetted_addresses
from kanban.worker.fetching.errors import FetchRefused

INTERNAL = [
    "127.0.0.1",
    "10.1.2.3",
    "172.16.0.9",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",
    "0.0.0.0",
    "224.0.0.1",
    "240.0.0.1",
    "::1",
    "::",
    "fe80::1",
    "fc00::1",
    "ff02::1",
    "::ffff:127.0.0.1",
    "::ffff:8.8.8.8",
    "2002:7f00:1::",
]


@pytest.mark.parametrize("address", INTERNAL)
def test_internal_addresses_are_refused(address: str) -> None:
    assert AddressPolicy().refusal(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize("address", ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert AddressPolicy().refusal(ipaddress.ip_address(address)) is None


def test_allow_listed_networks_open_exactly_their_range() -> None:
    policy = AddressPolicy.of(allow_networks=[ipaddress.ip_network("10.0.5.0/24")])

    assert policy.refusal(ipaddress.ip_address("10.0.5.7")) is None
    assert policy.refusal(ipaddress.ip_address("10.0.6.7")) is not None


class Answers:
    def __init__(self, *addresses: str) -> None:
        self.addresses = list(addresses)

    async def resolve(self, host: str, port: int) -> list[str]:
        return self.addresses


async def test_a_name_resolving_to_any_internal_address_is_refused() -> None:
    with pytest.raises(FetchRefused, match="10.0.0.8"):
        await vetted_addresses("mixed.example", 443, AddressPolicy(), Answers("93.184.216.34", "10.0.0.8"))


async def test_an_allow_listed_host_may_resolve_internally() -> None:
    policy = AddressPolicy.of(allow_hosts=["Wiki.Internal."])

    addresses = await vetted_addresses("wiki.internal", 80, policy, Answers("10.0.0.8"))

    assert addresses == [ipaddress.ip_address("10.0.0.8")]

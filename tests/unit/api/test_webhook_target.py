"""Where a webhook may point: checked on registration and before every attempt, without sending anything."""

from __future__ import annotations

import ipaddress

import pytest

from kanban.api.webhooks.target import BadTarget, vetted_target
from kanban.web.addresses import AddressPolicy


class Answers:
    """A resolver that answers every name with the same addresses."""

    def __init__(self, *addresses: str) -> None:
        self.addresses = list(addresses)

    async def resolve(self, host: str, port: int) -> list[str]:
        return self.addresses


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("ftp://hooks.example/x", "http or https"),
        ("https://user:pw@hooks.example/", "credentials"),
        ("https://hooks.example/#frag", "fragment"),
        ("https://hooks.example:0/", "invalid port"),
        ("http://[invalid/", "not a valid URL"),
        ("https://hooks.example/a b", "spaces or control characters"),
        ("http:///path", "no host"),
    ],
)
async def test_urls_that_cannot_receive_deliveries(url: str, why: str) -> None:
    with pytest.raises(BadTarget, match=why):
        await vetted_target(url, AddressPolicy(), Answers("93.184.216.34"))


@pytest.mark.parametrize(
    "answers",
    [("127.0.0.1",), ("10.1.2.3",), ("93.184.216.34", "192.168.1.9"), ("169.254.169.254",), ("::ffff:127.0.0.1",)],
)
async def test_a_host_with_any_internal_address_is_refused_unless_allowed(answers: tuple[str, ...]) -> None:
    with pytest.raises(BadTarget, match="resolves to"):
        await vetted_target("https://hooks.example/k", AddressPolicy(), Answers(*answers))
    allowed = await vetted_target("https://hooks.example/k", AddressPolicy.anything(), Answers(*answers))
    assert (
        allowed.address == ipaddress.ip_address(answers[0]) and allowed.port == 443 and allowed.host == "hooks.example"
    )


async def test_a_public_host_is_pinned_to_the_address_checked() -> None:
    target = await vetted_target("http://hooks.example:8080/in?x=1", AddressPolicy(), Answers("93.184.216.34"))
    assert (target.parts.scheme, target.port, str(target.address)) == ("http", 8080, "93.184.216.34")

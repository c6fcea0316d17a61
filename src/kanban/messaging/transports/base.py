"""The port every transport implements, and its errors."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from kanban.contracts.envelope import Envelope

# Commits the envelopes to the receiving service's inbox; a transport acknowledges only after it returns.
Deliver = Callable[[Sequence[Envelope]], Awaitable[None]]


class TransportError(Exception):
    """Base of transport failures."""


class TransportUnavailable(TransportError):
    """The peer or the broker cannot be reached now; the relay backs off and tries again."""


class TransportRejected(TransportError):
    """The peer refused the batch (for example a wrong shared secret); retrying will not help until fixed."""


class Transport(Protocol):
    name: str

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def publish(self, destination: str, envelopes: Sequence[Envelope]) -> None:
        """Hand the envelopes, in order, to `destination`; returns once the receiver holds them."""
        ...

    async def subscribe(self, consumer: str, deliver: Deliver) -> None:
        """Start delivering events addressed to `consumer` to `deliver`."""
        ...

    async def check(self) -> None:
        """Raise TransportUnavailable when the peer or broker cannot be reached."""
        ...

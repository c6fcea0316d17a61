"""An in-process transport for tests: a hub routes batches to the subscriber of each destination."""

from __future__ import annotations

from collections.abc import Sequence

from kanban.contracts.envelope import Envelope
from kanban.messaging.transports.base import Deliver, TransportUnavailable


class MemoryHub:
    """Shared by the two services of a test; `down` simulates an unreachable peer."""

    def __init__(self) -> None:
        self.subscribers: dict[str, Deliver] = {}
        self.down: set[str] = set()


class MemoryTransport:
    name = "memory"

    def __init__(self, hub: MemoryHub) -> None:
        self._hub = hub

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def publish(self, destination: str, envelopes: Sequence[Envelope]) -> None:
        deliver = self._hub.subscribers.get(destination)
        if deliver is None or destination in self._hub.down:
            raise TransportUnavailable(f"no subscriber for {destination!r}")
        try:
            await deliver(list(envelopes))
        except Exception as exc:
            # The receiver did not store the batch, as a real peer answering 503: the relay retries.
            raise TransportUnavailable(f"{destination!r} failed to store the batch: {exc!r}") from exc

    async def subscribe(self, consumer: str, deliver: Deliver) -> None:
        self._hub.subscribers[consumer] = deliver

    async def check(self) -> None:
        return None

"""Fan-out of ephemeral notifications to every replica of a service (realtime streams).

Unlike events, these are best-effort and never stored: a replica that misses one loses nothing a
client cannot refetch. The publishing replica delivers to its own clients itself; a broadcast only
carries the message to the OTHER replicas. `LocalOnly` is for a single replica; `NatsBroadcast`
publishes on NATS core subjects and ignores its own messages when they come back.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Callable
from typing import Any, Protocol

log = logging.getLogger(__name__)

Deliver = Callable[[str, dict[str, Any]], None]


class Broadcast(Protocol):
    async def start(self, deliver: Deliver) -> None: ...

    def publish(self, topic: str, message: dict[str, Any]) -> None: ...

    async def close(self) -> None: ...


class LocalOnly:
    """One replica: there is no one else to tell."""

    async def start(self, deliver: Deliver) -> None:
        return None

    def publish(self, topic: str, message: dict[str, Any]) -> None:
        return None

    async def close(self) -> None:
        return None


class NatsBroadcast:
    def __init__(self, nats_url: str, subject_prefix: str = "kanban.realtime") -> None:
        self._url = nats_url
        self._prefix = subject_prefix
        self._origin = uuid.uuid4().hex
        self._deliver: Deliver | None = None
        self._nc: Any = None
        self._pending: set[asyncio.Task[None]] = set()

    async def start(self, deliver: Deliver) -> None:
        import nats

        self._deliver = deliver
        try:
            self._nc = await asyncio.wait_for(
                nats.connect(
                    self._url,
                    name="kanban-realtime",
                    max_reconnect_attempts=-1,
                    reconnect_time_wait=1,
                    connect_timeout=2,
                ),
                timeout=5,
            )
            await self._nc.subscribe(f"{self._prefix}.>", cb=self._on_message)
            await self._nc.flush()  # the server knows the subscription before anyone publishes
        except Exception as exc:  # realtime is best-effort: the service still serves without the broker
            log.warning("realtime fan-out unavailable (%s); streams reach this replica's clients only", exc)
            self._nc = None

    async def _on_message(self, msg: Any) -> None:
        try:
            body = json.loads(msg.data)
        except ValueError:
            return
        if body.get("origin") == self._origin or self._deliver is None:
            return
        self._deliver(msg.subject.removeprefix(f"{self._prefix}."), body.get("message", {}))

    def publish(self, topic: str, message: dict[str, Any]) -> None:
        if self._nc is None or not self._nc.is_connected:
            return
        data = json.dumps({"origin": self._origin, "message": message}, default=str).encode()
        task = asyncio.get_running_loop().create_task(self._nc.publish(f"{self._prefix}.{topic}", data))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def close(self) -> None:
        if self._nc is not None:
            with contextlib.suppress(Exception):
                await self._nc.drain()
            self._nc = None
        self._deliver = None

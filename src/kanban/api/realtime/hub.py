"""An in-process hub: publishers push a board's messages, each open stream of that board gets a copy.

Publishers push after their transaction commits (`publish_after_commit`), so a client that reacts to
a message always finds the data it announces. A slow stream loses its oldest messages rather than
holding anyone up; clients refetch on reconnect.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from kanban.contracts.envelope import Envelope
from kanban.messaging.broadcast import Broadcast, LocalOnly
from kanban.messaging.unit_of_work import UnitOfWork

# Not sent to clients: tells the streams of one user to re-check their sign-in (after a sign-out).
RECHECK_SIGN_IN = "sign-in.recheck"
_USER_TOPIC = "user."

TASK_EVENT_TYPES = frozenset({"task.created", "task.updated", "task.moved", "task.deleted", "task.snapshotted"})


@dataclass(frozen=True)
class BoardMessage:
    id: int
    event: str
    data: dict[str, Any]


class RealtimeHub:
    """Board streams of this process; `broadcast` carries each message to every API replica."""

    def __init__(self, queue_size: int = 256, broadcast: Broadcast | None = None) -> None:
        self._streams: dict[str, set[asyncio.Queue[BoardMessage | None]]] = {}
        self._by_user: dict[str, set[asyncio.Queue[BoardMessage | None]]] = {}
        self._queue_size = queue_size
        self._ids = itertools.count(1)
        self._broadcast: Broadcast = broadcast or LocalOnly()
        self._ended = False

    async def start(self) -> None:
        await self._broadcast.start(self._deliver)

    def publish(self, board_id: str, event: str, data: dict[str, Any]) -> None:
        self._deliver_local(board_id, event, data)
        self._broadcast.publish(board_id, {"event": event, "data": data})

    def announce_sign_out(self, user_id: str) -> None:
        """Some sign-in of the user ended: their open streams, on every replica, re-check theirs."""
        self._recheck_local(user_id)
        self._broadcast.publish(f"{_USER_TOPIC}{user_id}", {"event": RECHECK_SIGN_IN, "data": {}})

    def _deliver(self, topic: str, message: dict[str, Any]) -> None:
        """A message another replica published: a board's, or a user's sign-out notice."""
        if topic.startswith(_USER_TOPIC):
            self._recheck_local(topic.removeprefix(_USER_TOPIC))
            return
        self._deliver_local(topic, str(message.get("event", "message")), dict(message.get("data") or {}))

    def _deliver_local(self, board_id: str, event: str, data: dict[str, Any]) -> None:
        message = BoardMessage(next(self._ids), event, data)
        for queue in self._streams.get(board_id, ()):
            _put(queue, message)

    def _recheck_local(self, user_id: str) -> None:
        message = BoardMessage(0, RECHECK_SIGN_IN, {})
        for queue in self._by_user.get(user_id, ()):
            _put(queue, message)

    def publish_after_commit(self, uow: UnitOfWork, board_id: str, event: str, data: dict[str, Any]) -> None:
        uow.after_commit(lambda: self.publish(board_id, event, data))

    def publish_task_changes(self, envelopes: Iterable[Envelope]) -> None:
        """Announce the task events of a committed transaction on their boards."""
        for env in envelopes:
            if env.type not in TASK_EVENT_TYPES:
                continue
            task = env.payload.get("task") or {}
            board_id = task.get("board_id") or env.payload.get("board_id")
            if board_id is None:
                continue
            data: dict[str, Any] = {"taskId": env.aggregate_id, "version": env.aggregate_version}
            if task:
                data["columnId"] = task.get("column_id")
            if "changed_fields" in env.payload:
                data["changedFields"] = list(env.payload["changed_fields"])
            self.publish(board_id, env.type, data)

    @asynccontextmanager
    async def subscribe(
        self, board_id: str, user_id: str | None = None
    ) -> AsyncIterator[asyncio.Queue[BoardMessage | None]]:
        """A queue of the board's messages while the context is open; `None` means the hub closed.

        With `user_id`, the queue also gets RECHECK_SIGN_IN when one of the user's sign-ins ends.
        """
        queue: asyncio.Queue[BoardMessage | None] = asyncio.Queue(self._queue_size)
        if self._ended:
            queue.put_nowait(None)  # a stream opened while the service stops ends at once
        self._streams.setdefault(board_id, set()).add(queue)
        if user_id is not None:
            self._by_user.setdefault(user_id, set()).add(queue)
        try:
            yield queue
        finally:
            _forget(self._streams, board_id, queue)
            if user_id is not None:
                _forget(self._by_user, user_id, queue)

    def subscribers(self, board_id: str) -> int:
        return len(self._streams.get(board_id, ()))

    def end_streams(self) -> None:
        """End every open stream, and any opened later: called as soon as the service starts stopping.

        The server waits for open responses before it runs the application's shutdown, and a board
        stream never ends by itself (browsers reconnect), so the streams must end first.
        """
        self._ended = True
        for queues in self._streams.values():
            for queue in queues:
                if queue.full():
                    queue.get_nowait()
                queue.put_nowait(None)

    async def close(self) -> None:
        """End every open stream and stop the broadcast (at shutdown)."""
        self.end_streams()
        await self._broadcast.close()


def _put(queue: asyncio.Queue[BoardMessage | None], message: BoardMessage) -> None:
    if queue.full():
        queue.get_nowait()  # the oldest message gives way
    queue.put_nowait(message)


def _forget(
    index: dict[str, set[asyncio.Queue[BoardMessage | None]]], key: str, queue: asyncio.Queue[BoardMessage | None]
) -> None:
    queues = index.get(key)
    if queues is not None:
        queues.discard(queue)
        if not queues:
            del index[key]

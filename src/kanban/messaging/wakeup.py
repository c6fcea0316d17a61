"""Waking a loop as soon as there is work: in-process signals, PostgreSQL NOTIFY, polling as fallback."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from kanban.db.urls import DatabaseUrl

log = logging.getLogger(__name__)


class Wakeup:
    def __init__(self) -> None:
        self._event = asyncio.Event()

    def signal(self) -> None:
        self._event.set()

    def pending(self) -> bool:
        """True when a signal arrived that no wait has consumed yet."""
        return self._event.is_set()

    async def wait(self, timeout: float) -> bool:
        """Wait for a signal or the timeout; True when signalled."""
        signalled = False
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._event.wait(), timeout)
            signalled = True
        self._event.clear()
        return signalled


class PostgresListener:
    """Listens on a NOTIFY channel and signals a Wakeup; reconnects quietly, polling covers the gap."""

    def __init__(self, db: DatabaseUrl, channel: str, wakeup: Wakeup) -> None:
        self._db = db
        self._channel = channel
        self._wakeup = wakeup
        self._conn: Any = None

    async def start(self) -> None:
        # Imported here: only a PostgreSQL database listens, and an SQLite process never loads asyncpg.
        import asyncpg

        try:
            self._conn = await asyncpg.connect(
                self._db.libpq_dsn, server_settings={"application_name": "kanban-listen"}
            )
            await self._conn.add_listener(self._channel, self._on_notify)
        except (OSError, asyncpg.PostgresError) as exc:
            log.warning("LISTEN %s unavailable (%s); relying on polling", self._channel, exc)
            self._conn = None

    def _on_notify(self, *_args: Any) -> None:
        self._wakeup.signal()

    async def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                await self._conn.close()
            self._conn = None

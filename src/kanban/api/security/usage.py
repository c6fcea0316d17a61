"""Recording that a credential was used, after the request: the lookup never waits for (or holds) a write."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from kanban.db.async_core import AsyncConnection, AsyncEngine
from kanban.db.engine import sqlite_write_lock

log = logging.getLogger(__name__)
_pending: set[asyncio.Task[None]] = set()


def record_use_later(engine: AsyncEngine, write: Callable[[AsyncConnection], Awaitable[None]], what: str) -> None:
    task = asyncio.get_running_loop().create_task(_record(engine, write, what))
    _pending.add(task)
    task.add_done_callback(_pending.discard)


async def _record(engine: AsyncEngine, write: Callable[[AsyncConnection], Awaitable[None]], what: str) -> None:
    lock = sqlite_write_lock(engine)
    try:
        if lock is not None:
            await lock.acquire()
        async with engine.begin() as conn:
            await write(conn)
    except Exception:  # best-effort bookkeeping: a missed write only makes "last used" a minute older
        log.warning("could not record the use of %s", what, exc_info=True)
    finally:
        if lock is not None and lock.locked():
            lock.release()

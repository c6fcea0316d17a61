"""The loop of the API's background work (templates, digests): one active replica per database, by a lease."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from kanban.messaging.lease import Lease

log = logging.getLogger(__name__)


async def run_leased(
    name: str, lease: Lease, stop: asyncio.Event, poll_seconds: float, round_: Callable[[], Awaitable[object]]
) -> None:
    """Run `round_` every `poll_seconds` while this process holds `lease`, until `stop` is set."""
    while not stop.is_set():
        try:
            if await lease.acquire():
                await round_()
        except Exception:
            # Loop boundary: each round is idempotent (claimed rows), so the next one retries safely.
            log.exception("%s: round failed", name)
        try:
            await asyncio.wait_for(stop.wait(), poll_seconds)
        except TimeoutError:
            pass
    await lease.release()

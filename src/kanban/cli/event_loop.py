"""The event loop a service runs on: uvloop when it is installed, asyncio's own otherwise.

uvloop is a dependency on Linux; its loop schedules callbacks and handles sockets in C, which
is a measurable share of a request's CPU (see docs/adr/0038-uvloop-for-the-services.md). Everything
the services use (aiosqlite's threads, asyncpg, httpx, signal handlers) runs on either loop, and
the tests run on asyncio's, so a machine without uvloop behaves the same, only slower.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run_service(main: Coroutine[Any, Any, T]) -> T:
    """Run `main` to completion on a new event loop, as `asyncio.run` does."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)

"""Cancelling child tasks without losing the caller's own cancellation."""

from __future__ import annotations

import asyncio
from typing import Any


async def cancel_and_wait(*tasks: asyncio.Future[Any]) -> None:
    """Cancel `tasks` and wait until each has ended; what they ended with (cancelled, a result, an
    error) is dropped.

    Not `with suppress(CancelledError): await task`: a child that is already cancelling takes one
    more turn of the loop to end, and a cancellation of the caller during that turn goes to the
    child's future, comes out as the child's CancelledError and is suppressed with it. The caller
    then runs on as if never cancelled (a batch told to stop went on to its next job, and whoever
    waited for it to stop waited forever). `asyncio.wait` raises nothing for the tasks, so here the
    only CancelledError that leaves is the caller's own.
    """
    for task in tasks:
        task.cancel()
    if tasks:
        await asyncio.wait(tasks)
    for task in tasks:
        if not task.cancelled():
            task.exception()  # retrieved: asyncio logs no "exception was never retrieved"

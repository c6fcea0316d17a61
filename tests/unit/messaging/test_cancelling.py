"""Cancelling child tasks: the caller's own cancellation is never swallowed."""

from __future__ import annotations

import asyncio
import gc
from typing import Any

import pytest

from kanban.messaging.cancelling import cancel_and_wait


async def slow_to_end(turns: int) -> None:
    """A task that, once cancelled, takes `turns` more turns of the loop to end (as a cleanup would)."""
    try:
        await asyncio.Event().wait()
    finally:
        for _ in range(turns):
            await asyncio.sleep(0)


async def test_a_caller_cancelled_while_its_child_is_ending_ends_cancelled() -> None:
    ran_on = []

    async def caller() -> None:
        child = asyncio.create_task(slow_to_end(3))
        await asyncio.sleep(0)  # the child is running
        await cancel_and_wait(child)
        ran_on.append(True)

    task = asyncio.create_task(caller())
    for _ in range(3):  # the caller is now waiting for its cancelled child to end
        await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert ran_on == []


async def test_the_children_s_results_and_errors_are_dropped_and_retrieved() -> None:
    unretrieved: list[dict[str, Any]] = []
    asyncio.get_running_loop().set_exception_handler(lambda loop, context: unretrieved.append(context))

    async def fails() -> None:
        raise ValueError("boom")

    async def returns() -> int:
        return 1

    failed, returned, waiting = (asyncio.create_task(c) for c in (fails(), returns(), slow_to_end(1)))
    await asyncio.sleep(0)
    await cancel_and_wait(failed, returned, waiting)
    assert failed.done() and returned.done() and waiting.cancelled()
    del failed, returned, waiting
    gc.collect()  # an unretrieved error is reported when its task is collected
    assert unretrieved == []
    await cancel_and_wait()  # nothing to cancel: nothing to wait for

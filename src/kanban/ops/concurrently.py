"""Running a few awaitables of one operation at once, and taking queued work on several connections."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

S = TypeVar("S")
T = TypeVar("T")


async def all_of(*works: Awaitable[object]) -> None:
    """Run `works` at once and wait for every one; then raise the first failure, in the order given.

    Waiting for all before raising means no work is left running on a connection its caller is
    about to close or reuse.
    """
    for outcome in await asyncio.gather(*works, return_exceptions=True):
        if isinstance(outcome, BaseException):
            raise outcome


async def drain(pending: list[T], sessions: Sequence[S], work: Callable[[S, T], Awaitable[None]]) -> None:
    """Each of `sessions` takes the next item of `pending` (first first) and works on it, until none is
    left; the sessions work at once (connections, say). Failures as in all_of."""

    async def take(session: S) -> None:
        while pending:
            await work(session, pending.pop(0))

    await all_of(*(take(session) for session in sessions))

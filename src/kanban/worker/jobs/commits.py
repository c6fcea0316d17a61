"""Group commit of a batch's finished jobs: each one commits as soon as the commit before it is done.

A batch's jobs finish one by one. Waiting for the last before committing any makes the first
task's hints wait for fifteen other tasks; committing each alone costs a transaction per task
under a burst. Here the first finished job commits at once, and the jobs that finish while that
commit runs go together in the next one: one commit per job when jobs are few, a few per batch
when they come fast. Each commit is still one transaction of results, job states and events.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

from kanban.messaging.cancelling import cancel_and_wait

Part = TypeVar("Part")
Gone = TypeVar("Gone")


class GroupCommit(Generic[Part, Gone]):
    """Commits what is added, in order, at most one commit at a time; `drain` commits the rest and waits."""

    def __init__(
        self, commit: Callable[[Sequence[Part], Sequence[Gone]], Awaitable[None]], *, eager: bool = True
    ) -> None:
        self._commit = commit
        # Eager: a commit starts as soon as something is added (the caller goes on waiting for other
        # jobs). Not eager: only `drain` commits, for a caller that computes meanwhile: a commit
        # running beside it would hold the write lock while its statements wait for the CPU.
        self._eager = eager
        self._parts: list[Part] = []
        self._gone: list[Gone] = []
        self._committing: asyncio.Task[None] | None = None

    def add(self, parts: Sequence[Part] = (), gone: Sequence[Gone] = ()) -> None:
        """Commit these now, or with the next commit when one is running."""
        self._parts.extend(parts)
        self._gone.extend(gone)
        if self._eager:
            self._start()

    def _start(self) -> None:
        # A running commit takes what was added in its next round; after a failed one, `drain` says so.
        if not (self._parts or self._gone):
            return
        if self._committing is None or (self._committing.done() and not self._failed()):
            self._committing = asyncio.create_task(self._commit_all())

    def _failed(self) -> bool:
        task = self._committing
        return task is not None and task.done() and (task.cancelled() or task.exception() is not None)

    async def _commit_all(self) -> None:
        while self._parts or self._gone:
            parts, self._parts = self._parts, []
            gone, self._gone = self._gone, []
            await self._commit(parts, gone)

    async def drain(self) -> None:
        """Commit what was added and wait until it is committed; a failed commit raises here."""
        self._start()
        if self._committing is not None:
            await self._committing

    async def abandon(self) -> None:
        """Stop committing (the batch was cancelled): what was not committed stays with its leases."""
        if self._committing is not None and not self._committing.done():
            await cancel_and_wait(self._committing)

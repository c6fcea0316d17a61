"""The digest loop: one active per API database (a lease), a round every KANBAN_DIGEST_POLL_SECONDS."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from kanban.api.digest.handlers import DigestLinks, run_digests
from kanban.api.digest.mailer import Mailer
from kanban.db.async_core import AsyncEngine
from kanban.messaging.lease import Lease, run_rounds_while_leased
from kanban.messaging.unit_of_work import UnitOfWork


class DigestScheduler:
    def __init__(
        self, engine: AsyncEngine, new_unit_of_work: Callable[[], UnitOfWork], lease: Lease, mailer: Mailer,
        sender: str, links: DigestLinks, poll_seconds: float,
    ) -> None:  # fmt: skip
        self._engine, self._new_uow, self._lease = engine, new_unit_of_work, lease
        self._mailer, self._sender, self._links, self._poll = mailer, sender, links, poll_seconds

    async def run(self, stop: asyncio.Event) -> None:
        # Claimed days are never sent twice; unclaimed ones are tried next round.
        await run_rounds_while_leased(
            stop, self._lease, self._poll,
            lambda: run_digests(self._engine, self._new_uow, self._mailer, self._sender, self._links),
        )  # fmt: skip

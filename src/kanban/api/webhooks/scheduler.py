"""The delivery loop: one active per API database (a lease), a round every KANBAN_WEBHOOK_POLL_SECONDS."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from kanban.api.webhooks.delivery import DeliveryPolicy, deliver_due
from kanban.api.webhooks.sender import WebhookSender
from kanban.db.async_core import AsyncEngine
from kanban.messaging.lease import Lease, run_rounds_while_leased
from kanban.messaging.unit_of_work import UnitOfWork


class WebhookDeliverer:
    def __init__(
        self, engine: AsyncEngine, new_unit_of_work: Callable[[], UnitOfWork], lease: Lease, sender: WebhookSender,
        policy: DeliveryPolicy, poll_seconds: float,
    ) -> None:  # fmt: skip
        self._engine, self._new_uow, self._lease = engine, new_unit_of_work, lease
        self._sender, self._policy, self._poll = sender, policy, poll_seconds

    async def run(self, stop: asyncio.Event) -> None:
        # Each delivery is also claimed on its own row, so even two holders would not send one twice at once.
        await run_rounds_while_leased(
            stop, self._lease, self._poll,
            lambda: deliver_due(self._engine, self._new_uow, self._sender, self._policy),
        )  # fmt: skip

"""Fixtures of the messaging tier: a producer and a consumer joined over each transport."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from kanban.db.urls import DatabaseUrl
from tests.integration.messaging.links import make_link
from tests.integration.messaging.pair import FAST_INBOX, Pair
from tests.support.servers import NATS_URL, nats_reachable, require

TRANSPORTS = ["memory", "http", pytest.param("nats", marks=pytest.mark.nats)]


@pytest.fixture(params=TRANSPORTS)
def transport_name(request: pytest.FixtureRequest) -> str:
    if request.param == "nats":
        require("NATS", nats_reachable())
    return str(request.param)


@pytest.fixture
async def pair(api_db: DatabaseUrl, worker_db: DatabaseUrl, transport_name: str) -> AsyncIterator[Pair]:
    running = Pair(api_db, worker_db, make_link(transport_name, NATS_URL), FAST_INBOX)
    await running.start()
    yield running
    await running.close()

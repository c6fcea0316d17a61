"""With NATS, a change published on one API replica reaches the board streams open on every replica."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from kanban.api.realtime.hub import RECHECK_SIGN_IN, RealtimeHub
from kanban.messaging.broadcast import NatsBroadcast


@asynccontextmanager
async def two_replicas(nats_server: str) -> AsyncIterator[tuple[RealtimeHub, RealtimeHub]]:
    prefix = f"kanban.test.{uuid.uuid4().hex[:8]}"
    replica_a = RealtimeHub(broadcast=NatsBroadcast(nats_server, prefix))
    replica_b = RealtimeHub(broadcast=NatsBroadcast(nats_server, prefix))
    await replica_a.start()
    await replica_b.start()
    try:
        yield replica_a, replica_b
    finally:
        await replica_a.close()
        await replica_b.close()


async def test_messages_fan_out_to_other_replicas_once(nats_server: str) -> None:
    async with (
        two_replicas(nats_server) as (replica_a, replica_b),
        replica_a.subscribe("board-1") as on_a,
        replica_b.subscribe("board-1") as on_b,
    ):
        replica_a.publish("board-1", "task.moved", {"taskId": "t1"})
        got_b = await asyncio.wait_for(on_b.get(), 5)
        got_a = await asyncio.wait_for(on_a.get(), 5)
        assert got_b is not None and got_b.event == "task.moved" and got_b.data == {"taskId": "t1"}
        assert got_a is not None and got_a.data == {"taskId": "t1"}
        await asyncio.sleep(0.3)
        assert on_a.empty(), "the publishing replica must not get its own message twice"


async def test_a_sign_out_on_one_replica_makes_the_user_s_streams_on_others_recheck(nats_server: str) -> None:
    async with (
        two_replicas(nats_server) as (replica_a, replica_b),
        replica_a.subscribe("board-1", "user-1") as mine,
        replica_a.subscribe("board-2", "user-2") as theirs,
    ):
        replica_b.announce_sign_out("user-1")
        got = await asyncio.wait_for(mine.get(), 5)
        assert got is not None and got.event == RECHECK_SIGN_IN
        await asyncio.sleep(0.3)
        assert theirs.empty(), "another user's streams are left alone"


async def test_a_replica_without_the_broker_still_serves_its_own_streams() -> None:
    hub = RealtimeHub(broadcast=NatsBroadcast("nats://127.0.0.1:1"))
    await hub.start()
    try:
        async with hub.subscribe("board-2") as stream:
            hub.publish("board-2", "task.created", {"taskId": "t2"})
            message = await asyncio.wait_for(stream.get(), 5)
            assert message is not None and message.event == "task.created"
    finally:
        await hub.close()

"""One producer-to-consumer link per transport, with a way to take the receiving side down and back up."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from typing import Protocol

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from kanban.messaging.transports.base import Deliver, Transport
from kanban.messaging.transports.http import EVENTS_PATH, HttpTransport, events_route
from kanban.messaging.transports.memory import MemoryHub, MemoryTransport
from kanban.messaging.transports.nats import NatsTransport, delete_stream
from tests.support.processes import free_port
from tests.support.settings import TEST_EVENTS_SECRET

CONSUMER = "worker"


class Link(Protocol):
    producer: Transport

    async def start(self, deliver: Deliver) -> None: ...

    async def peer_down(self) -> None: ...

    async def peer_up(self) -> None: ...

    async def close(self) -> None: ...


class MemoryLink:
    def __init__(self) -> None:
        self.hub = MemoryHub()
        self.producer: Transport = MemoryTransport(self.hub)
        self._consumer = MemoryTransport(self.hub)

    async def start(self, deliver: Deliver) -> None:
        await self.producer.start()
        await self._consumer.subscribe(CONSUMER, deliver)

    async def peer_down(self) -> None:
        self.hub.down.add(CONSUMER)

    async def peer_up(self) -> None:
        self.hub.down.discard(CONSUMER)

    async def close(self) -> None:
        return None


async def _live(_: Request) -> Response:
    return PlainTextResponse("ok")


class HttpLink:
    """The consumer's events endpoint on a real uvicorn server bound to a free loopback port."""

    def __init__(self) -> None:
        self._port = free_port()
        self._consumer = HttpTransport("unused", TEST_EVENTS_SECRET)
        self._app = Starlette(routes=[events_route(self._consumer, TEST_EVENTS_SECRET), Route("/health/live", _live)])
        self.producer: Transport = HttpTransport(
            f"http://127.0.0.1:{self._port}{EVENTS_PATH}", TEST_EVENTS_SECRET, timeout_seconds=5
        )
        self._server: uvicorn.Server | None = None
        self._serving: asyncio.Task[None] | None = None

    async def start(self, deliver: Deliver) -> None:
        await self._consumer.subscribe(CONSUMER, deliver)
        await self.producer.start()
        await self.peer_up()

    async def peer_up(self) -> None:
        config = uvicorn.Config(
            self._app, host="127.0.0.1", port=self._port, log_level="warning", lifespan="off", access_log=False
        )
        self._server = uvicorn.Server(config)
        self._serving = asyncio.create_task(self._server.serve())
        while not self._server.started:
            if self._serving.done():
                self._serving.result()  # raises why the server could not start
            await asyncio.sleep(0.01)

    async def peer_down(self) -> None:
        if self._server is not None and self._serving is not None:
            self._server.should_exit = True
            await self._serving
        self._server, self._serving = None, None

    async def close(self) -> None:
        await self.peer_down()
        await self.producer.close()


class NatsLink:
    """Two NatsTransports on a stream and subject prefix of the test's own, deleted at the end."""

    def __init__(self, nats_url: str) -> None:
        token = uuid.uuid4().hex[:10]
        self._url = nats_url
        self._names = {"stream": f"KT_{token}", "subject_prefix": f"kt{token}"}
        self.producer: NatsTransport = self._transport("api")
        self._consumer: NatsTransport | None = None
        self._deliver: Deliver | None = None

    def _transport(self, source: str) -> NatsTransport:
        return NatsTransport(
            self._url,
            source,
            **self._names,
            fetch_timeout_seconds=0.2,
            nak_delay_seconds=0.05,
            ack_wait_seconds=5,
        )

    async def start(self, deliver: Deliver) -> None:
        self._deliver = deliver
        await self.producer.start()
        await self.producer.check()
        await self.peer_up()

    async def peer_up(self) -> None:
        assert self._deliver is not None
        self._consumer = self._transport(CONSUMER)
        await self._consumer.start()
        await self._consumer.subscribe(CONSUMER, self._deliver)

    async def peer_down(self) -> None:
        # The receiving service goes away; the broker keeps what is published meanwhile.
        if self._consumer is not None:
            await self._consumer.close()
        self._consumer = None

    async def close(self) -> None:
        await self.peer_down()
        await self.producer.close()
        with contextlib.suppress(Exception):
            await delete_stream(self._url, self._names["stream"])


def make_link(name: str, nats_url: str | None) -> Link:
    if name == "memory":
        return MemoryLink()
    if name == "http":
        return HttpLink()
    assert nats_url is not None
    return NatsLink(nats_url)

"""A webhook receiver on 127.0.0.1 (uvicorn in the test's event loop) that records what it is sent."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn

from tests.support.processes import free_port

Scope = dict[str, Any]


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Answers each POST with the next of `statuses` (then `default`); `hang` makes it never answer."""

    url: str = ""
    statuses: list[int] = field(default_factory=list)
    default: int = 200
    hang: bool = False
    received: list[Received] = field(default_factory=list)
    _released: asyncio.Event = field(default_factory=asyncio.Event)

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        self.received.append(Received({k.decode().lower(): v.decode() for k, v in scope["headers"]}, body))
        if self.hang:
            await self._released.wait()
        status = self.statuses.pop(0) if self.statuses else self.default
        await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"ok"})

    def release(self) -> None:
        self._released.set()


@asynccontextmanager
async def running_receiver() -> AsyncIterator[Receiver]:
    receiver = Receiver()
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(receiver, host="127.0.0.1", port=port, log_level="warning", lifespan="off", access_log=False)
    )
    task = asyncio.create_task(server.serve())
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30
    while not server.started:
        assert loop.time() < deadline and not task.done(), "the webhook receiver did not start"
        await asyncio.sleep(0.02)
    receiver.url = f"http://127.0.0.1:{port}/hook"
    try:
        yield receiver
    finally:
        receiver.release()
        server.should_exit = True
        await task

"""The board stream over a real HTTP server: auth, then task changes, hint arrivals and agent progress."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from typing import Any
from uuid import uuid4

import httpx
import pytest
import uvicorn

from kanban.contracts import events as ev
from kanban.contracts.registry import envelope_for
from kanban.db.types import new_id
from tests.integration.api.conftest import ApiHarness
from tests.integration.api.test_hints import propose, seed_task, services
from tests.support.pipelines import draft


@pytest.fixture
async def server(api: ApiHarness) -> AsyncIterator[str]:
    """The test's app behind uvicorn on a free loopback port (streams need a real connection)."""
    config = uvicorn.Config(api.app, host="127.0.0.1", port=0, lifespan="off", log_config=None)  # type: ignore[arg-type]
    srv = uvicorn.Server(config)
    srv.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()  # connections queue in the backlog until uvicorn accepts them
    port = sock.getsockname()[1]
    task = asyncio.create_task(srv.serve(sockets=[sock]))
    yield f"http://127.0.0.1:{port}/api/v1"
    srv.should_exit = True
    await services(api).realtime.close()  # open streams end, so the server can stop
    await task


class Stream:
    def __init__(self, response: httpx.Response) -> None:
        self._lines = response.aiter_lines()

    async def next_event(self) -> tuple[str, dict[str, Any]]:
        event, data = "message", ""
        async for line in self._lines:
            if line.startswith("event: "):
                event = line.removeprefix("event: ")
            elif line.startswith("data: "):
                data = line.removeprefix("data: ")
            elif line == "" and data:
                return event, json.loads(data)
        raise AssertionError("the stream ended")

    async def until(self, wanted: str) -> dict[str, Any]:
        while True:
            event, data = await asyncio.wait_for(self.next_event(), 10)
            if event == wanted:
                return data


async def test_the_stream_needs_the_board_owner_s_token(api: ApiHarness, server: str) -> None:
    owner, stranger = await api.make_user(), await api.make_user()
    ids = await seed_task(api, owner)
    async with httpx.AsyncClient(base_url=server) as client:
        assert (await client.get(f"/boards/{ids['board']}/stream")).status_code == 401
        assert (await client.get(f"/boards/{ids['board']}/stream", params={"accessToken": "nope"})).status_code == 401
        assert (await client.get(f"/boards/{ids['board']}/stream", headers=stranger)).status_code == 404
        token = owner["Authorization"].removeprefix("Bearer ")
        async with client.stream("GET", f"/boards/{ids['board']}/stream", params={"accessToken": token}) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            assert (await Stream(response).until("ready")) == {"boardId": ids["board"]}


async def test_the_stream_carries_hints_progress_and_task_changes(api: ApiHarness, server: str) -> None:
    user = await api.make_user()
    ids = await seed_task(api, user)
    other_board = await seed_task(api, user)
    async with (
        httpx.AsyncClient(base_url=server) as client,
        client.stream("GET", f"/boards/{ids['board']}/stream", headers=user) as response,
    ):
        stream = Stream(response)
        await stream.until("ready")

        # Another board's news is not sent here.
        await propose(api, other_board, draft("context", data={"context": "DESK"}))

        progress = ev.AgentProgressV1(
            task_id=ids["task"], board_id=ids["board"], job_id=new_id(), stage="agents", percent=40, status="running"
        )
        inbox = services(api).messaging.inbox
        await inbox.receive(
            [
                envelope_for(
                    progress, source="worker", aggregate_id=ids["task"], aggregate_version=None, correlation_id=uuid4()
                )
            ]
        )
        await inbox.process_available()
        assert (await stream.until("agent.progress")) | {"jobId": None} == {
            "taskId": ids["task"], "jobId": None, "stage": "agents", "percent": 40, "status": "running",
        }  # fmt: skip

        await propose(api, ids, draft("priority", data={"priority": "HIGH"}))
        arrived = await stream.until("hints")
        assert arrived["taskId"] == ids["task"]
        [hint] = arrived["hints"]
        assert hint["hintType"] == "priority" and hint["status"] == "proposed"

        applied = await client.post(f"/hints/{hint['id']}/apply", headers=user)
        assert applied.status_code == 200
        changed = await stream.until("task.updated")
        assert changed == {
            "taskId": ids["task"],
            "version": 2,
            "columnId": ids["column"],
            "changedFields": ["priority"],
        }
        assert (await stream.until("hint.updated"))["status"] == "applied"

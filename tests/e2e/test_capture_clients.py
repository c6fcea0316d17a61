"""Capture clients against a real `kanban api` process: the CLI and the MCP server, with personal access tokens."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.processes import api_alone, free_port, run_cli

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def live_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    workdir: Path = tmp_path_factory.mktemp("capture-clients")
    api = api_alone(workdir)
    api.start()
    base = f"{api.base_url}/api/v1"
    reply = httpx.post(f"{base}/auth/register", json={"email": "cli@example.test", "password": "a long password"})
    assert reply.status_code == 201, reply.text
    me = {"Authorization": f"Bearer {reply.json()['accessToken']}"}

    def token(*scopes: str) -> str:
        made = httpx.post(f"{base}/tokens", json={"name": "t", "scopes": list(scopes)}, headers=me)
        assert made.status_code == 201, made.text
        return str(made.json()["token"])

    try:
        yield {"api_url": api.base_url, "base": base, "me": me, "token": token, "workdir": workdir}
    finally:
        api.stop()
        assert "Traceback" not in api.logs(), api.logs()[-4000:]


def test_kanban_capture_puts_the_text_in_the_inbox(live_api: dict[str, Any]) -> None:
    env = {"KANBAN_TOKEN": live_api["token"]("capture"), "KANBAN_API_URL": live_api["api_url"],
           "KANBAN_DATA_DIR": str(live_api["workdir"] / "none")}  # fmt: skip
    done = run_cli("capture", "Call Anna tomorrow 3pm @phone #family", env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("captured: Call Anna due ")
    tasks = httpx.get(f"{live_api['base']}/boards/default", headers=live_api["me"]).json()
    inbox = next(c for c in tasks["columns"] if c["type"] == "INPUT")
    assert [t["title"] for t in inbox["tasks"]] == ["Call Anna"] and inbox["tasks"][0]["source"] == "cli"


def test_kanban_capture_failures_are_one_line(live_api: dict[str, Any]) -> None:
    base_env = {"KANBAN_API_URL": live_api["api_url"], "KANBAN_DATA_DIR": str(live_api["workdir"] / "none")}
    missing = run_cli("capture", "x", env=base_env)
    assert missing.returncode != 0 and missing.stderr.startswith("kanban: error: KANBAN_TOKEN is not set")
    revoked = run_cli("capture", "x", env={**base_env, "KANBAN_TOKEN": "kpat_wrong"})
    assert revoked.returncode == 1 and revoked.stderr.startswith("kanban: error: capture refused (401)")
    assert len(revoked.stderr.strip().splitlines()) == 1


def _result(result: Any) -> Any:
    """A tool result's structured value (lists come wrapped as {"result": [...]})."""
    value = result.structured_content
    return value.get("result", value) if isinstance(value, dict) and set(value) == {"result"} else value


def _text(result: Any) -> str:
    return " ".join(getattr(block, "text", "") for block in result.content)


async def _walk(client: Any) -> None:
    """Capture, clarify, list next actions, move to done: every step through the SDK's own client."""
    tools = {t.name for t in (await client.list_tools()).tools}
    assert {"capture", "list_next_actions", "next_to_clarify", "clarify", "move_task", "list_hints",
            "review_hint"} <= tools  # fmt: skip
    captured = await client.call_tool("capture", {"text": "Book flights +Trip !high"})
    assert not captured.is_error, _text(captured)
    task = _result(captured)
    assert task["title"] == "Book flights" and task["priority"] == "HIGH"
    queue = _result(await client.call_tool("next_to_clarify", {}))
    assert queue["task"] is not None and queue["remaining"] >= 1
    clarified = await client.call_tool("clarify", {"task_id": task["id"], "decision": "next"})
    assert not clarified.is_error, _text(clarified)
    actions = _result(await client.call_tool("list_next_actions", {}))
    assert task["id"] in [a["id"] for a in actions]
    moved = _result(await client.call_tool("move_task", {"task_id": task["id"], "column_type": "DONE"}))
    assert moved["columnType"] == "DONE"
    assert _result(await client.call_tool("list_hints", {"task_id": task["id"]})) == []


def test_mcp_over_stdio_does_what_the_token_allows(live_api: dict[str, Any]) -> None:
    import anyio
    from mcp import Client, StdioServerParameters

    def server(token: str) -> StdioServerParameters:
        env = {"KANBAN_TOKEN": token, "KANBAN_API_URL": live_api["api_url"],
               "KANBAN_DATA_DIR": str(live_api["workdir"] / "none")}  # fmt: skip
        return StdioServerParameters(command=sys.executable, args=["-m", "kanban.cli.main", "mcp"], env=env)

    async def scenario() -> None:
        async with Client(server(live_api["token"]("write"))) as client:
            await _walk(client)
        async with Client(server(live_api["token"]("capture"))) as client:
            assert not (await client.call_tool("capture", {"text": "Only capture"})).is_error
            refused = await client.call_tool("list_next_actions", {})
            assert refused.is_error and "403" in _text(refused)

    anyio.run(scenario)


def test_mcp_over_streamable_http_takes_the_token_of_each_request(live_api: dict[str, Any]) -> None:
    import anyio
    import httpx2
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client

    port = free_port()
    env = {"KANBAN_API_URL": live_api["api_url"], "KANBAN_DATA_DIR": str(live_api["workdir"] / "none"),
           "PATH": os.environ.get("PATH", "")}  # fmt: skip
    proc = subprocess.Popen([sys.executable, "-m", "kanban.cli.main", "mcp", "--http", "--port", str(port)], env=env)
    try:
        _wait_listening(port)

        async def scenario() -> None:
            url = f"http://127.0.0.1:{port}/mcp"
            for token in (live_api["token"]("write"), "kpat_wrong"):
                http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30)
                async with http, Client(streamable_http_client(url, http_client=http)) as client:
                    if token == "kpat_wrong":
                        refused = await client.call_tool("capture", {"text": "x"})
                        assert refused.is_error and "401" in _text(refused)
                    else:
                        await _walk(client)

        anyio.run(scenario)
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def _wait_listening(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"kanban mcp --http did not listen on {port}")

"""Capture clients against a real `kanban api` process: the CLI with a personal access token."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.processes import ServiceProcess, free_port, run_cli
from tests.support.settings import TEST_EVENTS_SECRET, TEST_JWT_SECRET

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def live_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    workdir: Path = tmp_path_factory.mktemp("capture-clients")
    port = free_port()
    env = {
        "API_DATABASE_URL": f"sqlite:///{workdir}/api.db",
        "KANBAN_EVENTS_SECRET": TEST_EVENTS_SECRET,
        "KANBAN_JWT_SECRET": TEST_JWT_SECRET,
        "KANBAN_WORKER_EVENTS_URL": "http://127.0.0.1:9/internal/events",
        "KANBAN_PORT": str(port),
        "KANBAN_DATA_DIR": str(workdir),
    }
    api = ServiceProcess("api", port, env, workdir / "api.log")
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

"""`kanban up` as an operator runs it: files private from creation, children restarted, Ctrl-C ends open streams.

One `kanban up --separate` (started with umask 0, so any file made without an explicit mode would
be readable by everyone) goes through it all: the data directory and every file in it are private
while it runs; SIGKILL of the Worker leaves the API answering and hints resume once the Worker is
back; SIGKILL of the API brings a new API; Ctrl-C with a board stream open ends the stream and
exits. The default `kanban up` runs both services in one process: SIGKILL of it brings both back
with the same data, and Ctrl-C stops it without a kill.
"""

from __future__ import annotations

import os
import re
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.processes import free_port, signed_up_client
from tests.support.settings import CHEAP_ARGON2

pytestmark = pytest.mark.e2e

DESCRIPTION = "Plan the trip.\n\n1. Book the train tickets to Lyon\n2. Reserve the hotel near the station\n"


class Up:
    def __init__(self, tmp_path: Path, *flags: str) -> None:
        self.data_dir = tmp_path / "data"
        self.log_path = tmp_path / "up.log"
        self.api_port, self.worker_port = free_port(), free_port()
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": os.environ.get("HOME", "/tmp"),
            **CHEAP_ARGON2,
            "KANBAN_JOB_DEBOUNCE_SECONDS": "0.1",
        }
        command = [sys.executable, "-m", "kanban.cli.main", "up", "--data-dir", str(self.data_dir)]
        command += ["--api-port", str(self.api_port), "--worker-port", str(self.worker_port), *flags]
        self.log = self.log_path.open("ab")
        # Its own process group, as in a terminal: Ctrl-C is SIGINT to the whole group.
        self.proc = subprocess.Popen(
            command, env=env, stdout=self.log, stderr=self.log, start_new_session=True, preexec_fn=lambda: os.umask(0)
        )
        self.api = f"http://127.0.0.1:{self.api_port}"
        self.worker = f"http://127.0.0.1:{self.worker_port}"

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace")

    def pids(self, service: str) -> list[int]:
        return [int(p) for p in re.findall(rf"kanban: {service} started \(pid (\d+)\)", self.logs())]

    def wait_for(self, what: str, condition: Any, timeout: float = 90) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"kanban up exited ({self.proc.returncode}):\n{self.logs()[-3000:]}"
            try:
                result = condition()
            except httpx.HTTPError:
                result = None
            if result:
                return result
            time.sleep(0.1)
        raise AssertionError(f"{what} not seen after {timeout}s:\n{self.logs()[-3000:]}")

    def live(self, base: str) -> bool:
        return httpx.get(f"{base}/health/live", timeout=2).status_code == 200

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        self.log.close()


def _running(tmp_path: Path, *flags: str) -> Iterator[Up]:
    system = Up(tmp_path, *flags)
    try:
        system.wait_for("both services live", lambda: system.live(system.api) and system.live(system.worker))
        yield system
    finally:
        system.stop()


@pytest.fixture
def up(tmp_path: Path) -> Iterator[Up]:
    yield from _running(tmp_path, "--separate")


@pytest.fixture
def up_one_process(tmp_path: Path) -> Iterator[Up]:
    yield from _running(tmp_path)


def _modes(directory: Path) -> dict[str, int]:
    return {p.name: stat.S_IMODE(p.stat().st_mode) for p in directory.iterdir()}


def _hint_types(client: httpx.Client, task_id: str) -> set[str]:
    return {h["hintType"] for h in client.get(f"/tasks/{task_id}/hints").json()}


def _new_task_gets_hints(up: Up, client: httpx.Client, board_id: str, title: str) -> None:
    task = client.post(f"/boards/{board_id}/tasks", json={"title": title, "description": DESCRIPTION})
    assert task.status_code == 201, task.text
    up.wait_for(f"hints for {title!r}", lambda: "actions" in _hint_types(client, task.json()["id"]))


def test_up_keeps_files_private_survives_killed_children_and_stops_on_ctrl_c(up: Up) -> None:
    assert stat.S_IMODE(up.data_dir.stat().st_mode) == 0o700
    client = signed_up_client(up.api, "up@example.test")
    board_id = client.get("/boards/default").json()["id"]
    _new_task_gets_hints(up, client, board_id, "Trip to Lyon")
    # While both services hold their databases open (WAL and shared-memory files exist), all is 0600.
    modes = _modes(up.data_dir)
    assert {"kanban.env", "kanban_api.db", "kanban_worker.db"} <= set(modes)
    assert all(mode == 0o600 for mode in modes.values()), modes

    # SIGKILL the Worker: the API keeps answering (ready, reads and writes) while it is restarted.
    first_worker = up.pids("worker")[-1]
    os.kill(first_worker, signal.SIGKILL)
    task = client.post(f"/boards/{board_id}/tasks", json={"title": "Written while the Worker is down"})
    assert task.status_code == 201, task.text
    assert httpx.get(f"{up.api}/api/v1/health/ready", timeout=5).status_code == 200
    up.wait_for("a new Worker", lambda: len(up.pids("worker")) == 2 and up.live(up.worker))
    assert "worker was killed by SIGKILL" in up.logs()
    _new_task_gets_hints(up, client, board_id, "Trip to Lyon after the Worker restart")

    # SIGKILL the API: the Worker keeps serving, a new API comes up with the same data.
    os.kill(up.pids("api")[-1], signal.SIGKILL)
    assert up.live(up.worker)
    up.wait_for("a new API", lambda: len(up.pids("api")) == 2 and up.live(up.api))
    _new_task_gets_hints(up, client, board_id, "Trip to Lyon after the API restart")

    # Ctrl-C with a board stream open: the stream ends and every process exits, none killed.
    token = client.headers["Authorization"].removeprefix("Bearer ")
    stream_lines: list[str] = []
    stream_ended = threading.Event()

    def read_stream() -> None:
        url = f"{up.api}/api/v1/boards/{board_id}/stream?accessToken={token}"
        with httpx.stream("GET", url, timeout=httpx.Timeout(60, connect=5)) as response:
            for line in response.iter_lines():
                stream_lines.append(line)
        stream_ended.set()

    reader = threading.Thread(target=read_stream, daemon=True)
    reader.start()
    up.wait_for("the stream's ready event", lambda: "event: ready" in stream_lines)
    sent = time.monotonic()
    os.killpg(up.proc.pid, signal.SIGINT)
    returncode = up.proc.wait(timeout=30)
    elapsed = time.monotonic() - sent
    assert stream_ended.wait(5), "the board stream did not end"
    assert returncode == 0, up.logs()[-3000:]
    assert "killing" not in up.logs(), "a child had to be killed at Ctrl-C"
    assert elapsed < 5, f"kanban up took {elapsed:.1f}s to stop after Ctrl-C"
    for pid in up.pids("api") + up.pids("worker"):
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_up_runs_both_services_in_one_process_restarted_whole_and_stopped_on_ctrl_c(up_one_process: Up) -> None:
    up = up_one_process
    client = signed_up_client(up.api, "one@example.test")
    board_id = client.get("/boards/default").json()["id"]
    _new_task_gets_hints(up, client, board_id, "Trip to Lyon")
    assert up.pids("api") == up.pids("worker") == []
    (first,) = up.pids("serve")

    # SIGKILL the one services process: the supervisor brings both services back, with the same data.
    os.kill(first, signal.SIGKILL)
    up.wait_for("a new services process", lambda: len(up.pids("serve")) == 2 and up.live(up.api) and up.live(up.worker))
    assert "serve was killed by SIGKILL" in up.logs()
    assert client.get(f"/boards/{board_id}").status_code == 200
    _new_task_gets_hints(up, client, board_id, "Trip to Lyon after the restart")

    # Ctrl-C: the supervisor and the services process stop cleanly, nothing killed.
    os.killpg(up.proc.pid, signal.SIGINT)
    assert up.proc.wait(timeout=30) == 0, up.logs()[-3000:]
    assert "killing" not in up.logs(), "the services process had to be killed at Ctrl-C"
    with pytest.raises(ProcessLookupError):
        os.kill(up.pids("serve")[-1], 0)

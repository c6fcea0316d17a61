"""Running the services as separate processes, as they run in production, for end-to-end tests."""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from kanban.db.urls import DatabaseUrl
from tests.support.settings import CHEAP_ARGON2, TEST_EVENTS_SECRET, TEST_JWT_SECRET

# Ports handed to child processes come from below the kernel's ephemeral range (32768 and up, where
# bind(0) and outgoing connections take theirs), split between the pytest-xdist workers: a port one
# worker just found free is never another worker's pick while neither child has bound it yet.
_PORTS_LOW, _PORTS_HIGH = 10_000, 32_000
_handed_out: set[int] = set()


def _worker_ports() -> range:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    count = max(1, int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")))
    index = int(worker.removeprefix("gw") or 0) % count
    width = (_PORTS_HIGH - _PORTS_LOW) // count
    return range(_PORTS_LOW + index * width, _PORTS_LOW + (index + 1) * width)


def free_port() -> int:
    """A loopback port free now, this test worker's own and not handed out before in this run."""
    ports = _worker_ports()
    start = random.randrange(len(ports))
    for offset in range(len(ports)):
        port = ports[(start + offset) % len(ports)]
        if port in _handed_out:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    raise RuntimeError(f"no free loopback port in {ports.start}-{ports.stop - 1}")


def run_cli(*args: str, env: Mapping[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """`kanban ARGS` in a child process with exactly the given environment (plus PATH)."""
    child_env = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp")} | dict(env or {})
    return subprocess.run(
        [sys.executable, "-m", "kanban.cli.main", *args], env=child_env, capture_output=True, text=True, timeout=timeout
    )


def signed_up_client(api_base_url: str, email: str) -> httpx.Client:
    """An HTTP client of the API at `api_base_url`, signed in as a newly registered `email`."""
    client = httpx.Client(base_url=f"{api_base_url}/api/v1", timeout=30)
    reply = client.post("/auth/register", json={"email": email, "password": "correct horse battery"})
    assert reply.status_code == 201, reply.text
    client.headers["Authorization"] = f"Bearer {reply.json()['accessToken']}"
    return client


@dataclass
class ServiceProcess:
    name: str
    port: int
    env: dict[str, str]
    log_path: Path
    proc: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, wait_ready: bool = True) -> None:
        child_env = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp")} | self.env
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "kanban.cli.main", self.name, "--migrate"], env=child_env, stdout=log, stderr=log
        )
        if wait_ready:
            self.wait_ready()

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}:\n{self.logs()[-3000:]}")
            try:
                if httpx.get(f"{self.base_url}/health/live", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} not live after {timeout}s:\n{self.logs()[-3000:]}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int | None:
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait(10)

    def kill(self) -> None:
        self.stop(signal.SIGKILL)

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@dataclass
class System:
    """The API and the Worker as two processes on loopback, each with its own database."""

    api: ServiceProcess
    worker: ServiceProcess
    env: dict[str, str] = field(default_factory=dict)

    def start(self) -> None:
        # Both start at once (each spends about a second importing); no event flows until both are live.
        self.worker.start(wait_ready=False)
        self.api.start(wait_ready=False)
        self.worker.wait_ready()
        self.api.wait_ready()

    def stop(self) -> None:
        self.api.stop()
        self.worker.stop()


def build_system(
    api_db: DatabaseUrl, worker_db: DatabaseUrl, workdir: Path, transport: str = "http", **extra: str
) -> System:
    api_port, worker_port = free_port(), free_port()
    common = {
        "KANBAN_EVENTS_SECRET": TEST_EVENTS_SECRET,
        "KANBAN_JWT_SECRET": TEST_JWT_SECRET,
        "KANBAN_TRANSPORT": transport,
        "API_DATABASE_URL": api_db.url.render_as_string(hide_password=False),
        "WORKER_DATABASE_URL": worker_db.url.render_as_string(hide_password=False),
        "KANBAN_API_EVENTS_URL": f"http://127.0.0.1:{api_port}/internal/events",
        "KANBAN_WORKER_EVENTS_URL": f"http://127.0.0.1:{worker_port}/internal/events",
        "KANBAN_JOB_DEBOUNCE_SECONDS": "0.1",
        "KANBAN_INBOX_GAP_TIMEOUT_SECONDS": "5",
        "KANBAN_DATA_DIR": str(workdir / "no-env-file"),
        **CHEAP_ARGON2,
    } | extra
    api = ServiceProcess("api", api_port, common | {"KANBAN_PORT": str(api_port)}, workdir / "api.log")
    worker = ServiceProcess("worker", worker_port, common | {"KANBAN_PORT": str(worker_port)}, workdir / "worker.log")
    return System(api=api, worker=worker, env=common)


def api_alone(workdir: Path) -> ServiceProcess:
    """A `kanban api` process on SQLite in `workdir`, with no Worker (its events wait in the outbox)."""
    port = free_port()
    env = {
        "API_DATABASE_URL": f"sqlite:///{workdir}/api.db",
        "KANBAN_EVENTS_SECRET": TEST_EVENTS_SECRET,
        "KANBAN_JWT_SECRET": TEST_JWT_SECRET,
        "KANBAN_WORKER_EVENTS_URL": "http://127.0.0.1:9/internal/events",
        "KANBAN_PORT": str(port),
        "KANBAN_DATA_DIR": str(workdir),
        **CHEAP_ARGON2,
    }
    return ServiceProcess("api", port, env, workdir / "api.log")

"""Each service process keeps only what it runs: what it has imported once it serves, on SQLite.

The service is started as `kanban api`, `kanban worker` or `kanban serve` runs it (through the
CLI's parser, with its start-up schema check), in a child process that records its own sys.modules
once it answers /health/live. What only other commands, other backends or unused algorithms need
must not be there: it would stay resident for the life of the process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.processes import free_port
from tests.support.settings import TEST_EVENTS_SECRET, TEST_JWT_SECRET

# Runs `kanban COMMAND --migrate`; a thread prints the loaded modules once the service answers, then stops it.
_RECORD_MODULES = """
import json, os, signal, sys, threading, time, urllib.request
from kanban.cli.main import build_parser

command, port = sys.argv[1], sys.argv[2]

def record_then_stop():
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health/live", timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    while True:
        try:
            names = sorted(name for name, module in sys.modules.items() if module is not None)  # None: refused
            break
        except RuntimeError:  # an import in another thread changed sys.modules meanwhile
            continue
    print(json.dumps(names), flush=True)
    os.kill(os.getpid(), signal.SIGTERM)

threading.Thread(target=record_then_stop, daemon=True).start()
args = build_parser([command, "--migrate"]).parse_args([command, "--migrate"])
args.func(args)
"""

# Never needed by a service on SQLite: the PostgreSQL driver, Alembic (the schema check runs in a
# forked child), `cryptography` (PyJWT's RSA/EC keys; the API accepts HS256 only), SQLAlchemy's ORM
# (the services use Core; see kanban.db.async_core), a WebSocket protocol (no route speaks it), the legacy
# migrator and the other commands' modules, httpx's command line (rich, pygments), pydantic's v1
# package (FastAPI's probe for v1 models), uvicorn's file-watching reloader. Loaded on first
# use only: jsonschema (an import), icalendar (a calendar feed), the IMAP and SMTP clients and the
# mail parsers (a configured mailbox or SMTP server).
NOT_IN_ANY_SERVICE = (
    "asyncpg", "alembic", "cryptography", "sqlalchemy.orm", "websockets", "kanban.ops", "kanban.cli.db", "rich", "pygments",
    "pydantic.v1", "watchfiles",
    "jsonschema", "icalendar", "aioimaplib", "aiosmtplib", "html2text", "mailparser_reply",
)  # fmt: skip


def _modules_of(command: str, tmp_path: Path) -> set[str]:
    api_port, worker_port = free_port(), free_port()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/tmp"),
        "API_DATABASE_URL": f"sqlite:///{tmp_path / 'api.db'}",
        "WORKER_DATABASE_URL": f"sqlite:///{tmp_path / 'worker.db'}",
        "KANBAN_TRANSPORT": "http",
        "KANBAN_EVENTS_SECRET": TEST_EVENTS_SECRET,
        "KANBAN_JWT_SECRET": TEST_JWT_SECRET,
        "KANBAN_API_PORT": str(api_port),
        "KANBAN_WORKER_PORT": str(worker_port),
        "KANBAN_API_EVENTS_URL": f"http://127.0.0.1:{api_port}/internal/events",
        "KANBAN_WORKER_EVENTS_URL": f"http://127.0.0.1:{worker_port}/internal/events",
        "KANBAN_LOG_LEVEL": "WARNING",
    }
    port = worker_port if command == "worker" else api_port
    done = subprocess.run(
        [sys.executable, "-c", _RECORD_MODULES, command, str(port)],
        env=env, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    lines = [line for line in done.stdout.splitlines() if line.startswith("[")]
    assert lines, f"kanban {command} did not come up (exit {done.returncode}):\n{done.stderr[-3000:]}"
    return set(json.loads(lines[0]))


def _loaded(modules: set[str], packages: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == p or m.startswith(f"{p}.") for p in packages))


@pytest.mark.parametrize("command", ["api", "worker", "serve"])
def test_a_service_on_sqlite_never_loads_what_only_other_commands_or_backends_need(
    command: str, tmp_path: Path
) -> None:
    modules = _modules_of(command, tmp_path)
    assert "kanban.api.app" in modules or command == "worker"  # the probe saw a serving process
    assert _loaded(modules, NOT_IN_ANY_SERVICE) == []


def test_the_worker_alone_loads_neither_the_api_nor_fastapi(tmp_path: Path) -> None:
    modules = _modules_of("worker", tmp_path)
    assert "kanban.worker.service" in modules
    assert _loaded(modules, ("kanban.api", "kanban.ui", "fastapi")) == []

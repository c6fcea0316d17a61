"""`kanban up`: the embedded default. Both services on this machine, SQLite files, the http transport.

The first run creates a data directory with the two database files and an env file holding
generated secrets; later runs reuse them. The services run as two child processes, exactly as
they would in two containers; if one exits, the other is stopped too.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

from kanban.cli.errors import CliError
from kanban.db import migrations
from kanban.db.urls import parse_database_url
from kanban.settings import read_env_file

ENV_FILE = "kanban.env"


def embedded_env(data_dir: Path, api_port: int, worker_port: int) -> dict[str, str]:
    """The env file's values: created once with fresh secrets, then kept (ports follow the flags)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / ENV_FILE
    values = read_env_file(path) if path.is_file() else {}
    values.setdefault("API_DATABASE_URL", f"sqlite:///{(data_dir / 'kanban_api.db').resolve()}")
    values.setdefault("WORKER_DATABASE_URL", f"sqlite:///{(data_dir / 'kanban_worker.db').resolve()}")
    values.setdefault("KANBAN_EVENTS_SECRET", secrets.token_urlsafe(32))
    values.setdefault("KANBAN_JWT_SECRET", secrets.token_urlsafe(48))
    values["KANBAN_TRANSPORT"] = "http"
    values["KANBAN_API_PORT"] = str(api_port)
    values["KANBAN_WORKER_PORT"] = str(worker_port)
    values["KANBAN_API_EVENTS_URL"] = f"http://127.0.0.1:{api_port}/internal/events"
    values["KANBAN_WORKER_EVENTS_URL"] = f"http://127.0.0.1:{worker_port}/internal/events"
    body = "# Written by 'kanban up'. Secrets are generated once; keep this file private.\n"
    body += "".join(f"{key}={value}\n" for key, value in sorted(values.items()))
    path.write_text(body)
    path.chmod(0o600)
    return values


def _child(service: str, env: dict[str, str], port: str) -> subprocess.Popen[bytes]:
    child_env = os.environ | env | {"KANBAN_PORT": port, "KANBAN_HOST": "127.0.0.1"}
    return subprocess.Popen([sys.executable, "-m", "kanban.cli.main", service], env=child_env)


def up(args: argparse.Namespace) -> int:
    data_dir = Path(args.data_dir).expanduser()
    env = embedded_env(data_dir, args.api_port, args.worker_port)
    for service, var in (("api", "API_DATABASE_URL"), ("worker", "WORKER_DATABASE_URL")):
        migrations.upgrade(f"kanban.{service}:migrations", parse_database_url(env[var]))
    print(f"kanban: data in {data_dir.resolve()} (SQLite), transport http", flush=True)
    children = {
        "api": _child("api", env, env["KANBAN_API_PORT"]),
        "worker": _child("worker", env, env["KANBAN_WORKER_PORT"]),
    }
    print(
        f"kanban: API on http://127.0.0.1:{args.api_port}/api/v1 (docs at /api/v1/docs), "
        f"Worker health on http://127.0.0.1:{args.worker_port}/health/ready; Ctrl-C stops both",
        flush=True,
    )
    stopping = {"flag": False}

    def stop(signum: int, _frame: object) -> None:
        stopping["flag"] = True
        for proc in children.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    failed: str | None = None
    while any(proc.poll() is None for proc in children.values()):
        for name, proc in children.items():
            if proc.poll() is not None and proc.returncode != 0 and not stopping["flag"]:
                failed = f"the {name} service exited with code {proc.returncode}"
                stop(signal.SIGTERM, None)
        time.sleep(0.2)
    if failed:
        raise CliError(failed)
    return 0


def add_commands(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    cmd = subparsers.add_parser("up", help="run both services on this machine (SQLite files, http transport)")
    cmd.add_argument("--data-dir", default=os.environ.get("KANBAN_DATA_DIR", ".kanban-data"))
    cmd.add_argument("--api-port", type=int, default=8000)
    cmd.add_argument("--worker-port", type=int, default=8001)
    cmd.set_defaults(func=up)

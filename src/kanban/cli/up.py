"""`kanban up`: the embedded default. Both services on this machine, SQLite files, the http transport.

The first run creates a private data directory with the two database files and an env file holding
generated secrets; later runs reuse them. The env file holds exactly the variables the settings
read, so `kanban api` or `kanban worker` started from it alone listen where `kanban up` puts them.
The services run in one child process (`kanban serve`: each service with its own database, engine
and listener, events over the http transport as between two containers), under a supervisor that
restarts it when it dies; with `--separate` they run as two child processes (`kanban api`, `kanban
worker`) and a child that dies is restarted while the other keeps serving. Once the databases are
migrated, the process replaces itself with the slim supervisor of `kanban.cli.supervise`.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from pathlib import Path

from kanban.db import migrations
from kanban.db.files import private_directory, write_private_text
from kanban.db.urls import parse_database_url
from kanban.settings import read_env_file

ENV_FILE = "kanban.env"
HOST = "127.0.0.1"


def embedded_env(data_dir: Path, api_port: int, worker_port: int) -> dict[str, str]:
    """The env file's values: created once with fresh secrets, then kept (ports follow the flags)."""
    private_directory(data_dir)
    path = data_dir / ENV_FILE
    values = read_env_file(path) if path.is_file() else {}
    values.setdefault("API_DATABASE_URL", f"sqlite:///{(data_dir / 'kanban_api.db').resolve()}")
    values.setdefault("WORKER_DATABASE_URL", f"sqlite:///{(data_dir / 'kanban_worker.db').resolve()}")
    values.setdefault("KANBAN_EVENTS_SECRET", secrets.token_urlsafe(32))
    values.setdefault("KANBAN_JWT_SECRET", secrets.token_urlsafe(48))
    values["KANBAN_TRANSPORT"] = "http"
    values["KANBAN_HOST"] = HOST
    values["KANBAN_API_PORT"] = str(api_port)
    values["KANBAN_WORKER_PORT"] = str(worker_port)
    values["KANBAN_API_EVENTS_URL"] = f"http://{HOST}:{api_port}/internal/events"
    values["KANBAN_WORKER_EVENTS_URL"] = f"http://{HOST}:{worker_port}/internal/events"
    body = "# Written by 'kanban up'. Secrets are generated once; keep this file private.\n"
    body += "".join(f"{key}={value}\n" for key, value in sorted(values.items()))
    write_private_text(path, body)
    return values


def up(args: argparse.Namespace) -> int:
    data_dir = Path(args.data_dir).expanduser()
    env = embedded_env(data_dir, args.api_port, args.worker_port)
    for service, var in (("api", "API_DATABASE_URL"), ("worker", "WORKER_DATABASE_URL")):
        migrations.upgrade(f"kanban.{service}:migrations", parse_database_url(env[var]))
    print(f"kanban: data in {data_dir.resolve()} (SQLite), transport http", flush=True)
    print(
        f"kanban: API on http://{HOST}:{args.api_port}/api/v1 (docs at /api/v1/docs), "
        f"Worker health on http://{HOST}:{args.worker_port}/health/ready; Ctrl-C stops both",
        flush=True,
    )
    # The env file's values win over this shell's, and the children read no other env file.
    child_env = os.environ | env | {"KANBAN_ENV_FILE": str((data_dir / ENV_FILE).resolve())}
    sys.stdout.flush()
    sys.stderr.flush()
    # Become the slim supervisor (see kanban.cli.supervise): what migrating imported is let go.
    # One process by default: the libraries both services import are held once (see kanban.cli.serve).
    children = ["api", "worker"] if args.separate else ["serve"]
    os.execve(sys.executable, [sys.executable, "-m", "kanban.cli.supervise", *children], child_env)


def add_commands(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    cmd = subparsers.add_parser("up", help="run both services on this machine (SQLite files, http transport)")
    cmd.add_argument("--data-dir", default=os.environ.get("KANBAN_DATA_DIR", ".kanban-data"))
    cmd.add_argument("--api-port", type=int, default=8000)
    cmd.add_argument("--worker-port", type=int, default=8001)
    cmd.add_argument(
        "--separate", action="store_true", help="run the API and the Worker as two processes (more memory)"
    )
    cmd.set_defaults(func=up)

"""Replicas started at once with `--migrate` on fresh databases all come up: migrations take a lock.

PostgreSQL: five `kanban worker --migrate` and five `kanban api --migrate` on two empty databases
(an advisory lock in the migrating transaction). SQLite: five `kanban db upgrade worker` at once on
one new file (a file lock beside it).
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from kanban.db import migrations
from tests.support.databases import DatabaseFactory
from tests.support.processes import ServiceProcess, free_port
from tests.support.servers import postgres_reachable, require
from tests.support.settings import TEST_EVENTS_SECRET, TEST_JWT_SECRET

pytestmark = pytest.mark.e2e
REPLICAS = 5


@pytest.mark.postgres
def test_five_apis_and_five_workers_migrating_fresh_postgres_databases_at_once_all_come_up(
    database_factory: DatabaseFactory, tmp_path: Path
) -> None:
    require("PostgreSQL", postgres_reachable())
    loop = asyncio.new_event_loop()
    api_db = loop.run_until_complete(database_factory.create("api", "postgres", migrated=False))
    worker_db = loop.run_until_complete(database_factory.create("worker", "postgres", migrated=False))
    nowhere = f"http://127.0.0.1:{free_port()}/internal/events"  # peers are away; readiness does not care
    common = {
        "API_DATABASE_URL": api_db.url.render_as_string(hide_password=False),
        "WORKER_DATABASE_URL": worker_db.url.render_as_string(hide_password=False),
        "KANBAN_EVENTS_SECRET": TEST_EVENTS_SECRET,
        "KANBAN_JWT_SECRET": TEST_JWT_SECRET,
        "KANBAN_API_EVENTS_URL": nowhere,
        "KANBAN_WORKER_EVENTS_URL": nowhere,
        "KANBAN_DATA_DIR": str(tmp_path / "no-env-file"),
    }
    replicas = []
    for service in ("worker", "api"):
        for n in range(REPLICAS):
            port = free_port()
            env = common | {"KANBAN_PORT": str(port)}
            replicas.append(ServiceProcess(service, port, env, tmp_path / f"{service}{n}.log"))
    for replica in replicas:
        replica.start(wait_ready=False)
    try:
        for replica in replicas:
            replica.wait_ready(timeout=180)
        for replica in replicas:
            assert "Traceback" not in replica.logs(), replica.logs()[-3000:]
        for db, location in ((api_db, "kanban.api:migrations"), (worker_db, "kanban.worker:migrations")):
            assert loop.run_until_complete(migrations.current(db)) == migrations.head(location)
    finally:
        for replica in replicas:
            replica.stop()
        loop.close()


def test_five_upgrades_of_one_new_sqlite_file_at_once_all_succeed(tmp_path: Path) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "WORKER_DATABASE_URL": f"sqlite:///{tmp_path}/kanban_worker.db",
        "KANBAN_EVENTS_SECRET": TEST_EVENTS_SECRET,
        "KANBAN_DATA_DIR": str(tmp_path / "no-env-file"),
    }
    command = [sys.executable, "-m", "kanban.cli.main", "db", "upgrade", "worker"]
    procs = [subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True) for _ in range(REPLICAS)]
    errors = [proc.communicate(timeout=180)[1] for proc in procs]
    assert [proc.returncode for proc in procs] == [0] * REPLICAS, errors

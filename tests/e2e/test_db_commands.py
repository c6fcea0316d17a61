"""`kanban db upgrade|downgrade|current api|worker` drive each service's own migration history."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.processes import run_cli
from tests.support.settings import TEST_EVENTS_SECRET, TEST_JWT_SECRET

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("service", ["api", "worker"])
def test_upgrade_current_downgrade_round_trip(service: str, tmp_path: Path) -> None:
    # No KANBAN_EVENTS_SECRET nor KANBAN_JWT_SECRET: a schema migration needs neither.
    env = {
        "API_DATABASE_URL": f"sqlite:///{tmp_path}/api.db",
        "WORKER_DATABASE_URL": f"sqlite:///{tmp_path}/worker.db",
        "KANBAN_DATA_DIR": str(tmp_path),
    }
    before = run_cli("db", "current", service, env=env)
    assert before.returncode == 0 and "none" in before.stdout
    up = run_cli("db", "upgrade", service, env=env)
    assert up.returncode == 0, up.stderr
    current = run_cli("db", "current", service, env=env)
    assert "(at head)" in current.stdout
    other = "worker" if service == "api" else "api"
    assert "none" in run_cli("db", "current", other, env=env).stdout  # each service has its own history
    down = run_cli("db", "downgrade", service, "base", env=env)
    assert down.returncode == 0, down.stderr
    assert "none" in run_cli("db", "current", service, env=env).stdout


def test_an_unreachable_database_is_one_line() -> None:
    env = {
        "API_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/kanban_api",
        "KANBAN_EVENTS_SECRET": TEST_EVENTS_SECRET,
        "KANBAN_JWT_SECRET": TEST_JWT_SECRET,
        "KANBAN_DATA_DIR": "/nonexistent",
    }
    result = run_cli("db", "upgrade", "api", env=env)
    assert result.returncode != 0
    assert result.stderr.strip().startswith("kanban: error: cannot reach database")
    assert "Traceback" not in result.stderr

"""Bad configuration ends in one line on stderr and a non-zero exit, never a traceback."""

from __future__ import annotations

import pytest

from tests.support.processes import run_cli

SECRETS = {"KANBAN_EVENTS_SECRET": "s" * 20, "KANBAN_JWT_SECRET": "j" * 40, "KANBAN_DATA_DIR": "/nonexistent"}


@pytest.mark.parametrize(
    ("command", "env", "expected"),
    [
        ("api", {}, "API_DATABASE_URL is not set"),
        ("worker", {}, "WORKER_DATABASE_URL is not set"),
        ("api", {"API_DATABASE_URL": "postgresql://"}, "API_DATABASE_URL is not a usable database URL"),
        (
            "worker",
            {"WORKER_DATABASE_URL": "sqlite:////tmp/same.db", "API_DATABASE_URL": "sqlite:////tmp/same.db"},
            "same database",
        ),
        ("api", {"API_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/kanban_api"}, "cannot reach database"),
    ],
)
def test_bad_configuration_is_one_line(command: str, env: dict[str, str], expected: str) -> None:
    result = run_cli(command, env=SECRETS | env, timeout=60)
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if line.startswith("kanban: error:")]
    assert len(errors) == 1, result.stderr
    assert expected in errors[0]
    assert result.stderr.rstrip().endswith(errors[0])
    assert "Traceback" not in result.stderr


def test_schema_behind_head_is_refused_with_the_fix(tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = SECRETS | {"WORKER_DATABASE_URL": f"sqlite:///{tmp_path}/w.db"}
    result = run_cli("worker", env=env)
    assert result.returncode != 0
    assert "kanban db upgrade worker" in result.stderr

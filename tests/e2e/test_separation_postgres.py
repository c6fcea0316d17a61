"""The runbook's success criteria, for real on PostgreSQL: provisioned roles, both services running, doctor all ✓."""

from __future__ import annotations

import asyncio
import contextlib
import stat
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from kanban.db.urls import parse_database_url
from kanban.settings import read_env_file
from tests.support.databases import pg_admin
from tests.support.processes import build_system, run_cli
from tests.support.servers import PG_ADMIN_URL, postgres_reachable, require

pytestmark = [pytest.mark.postgres, pytest.mark.e2e]


def _provision_args(names: dict[str, str], *extra: str) -> list[str]:
    return [
        "db", "provision", "--admin-url", PG_ADMIN_URL, "--api-database", names["api"], "--api-role", names["api"],
        "--worker-database", names["worker"], "--worker-role", names["worker"], *extra,
    ]  # fmt: skip


@contextlib.contextmanager
def _fresh_names() -> Iterator[dict[str, str]]:
    suffix = uuid.uuid4().hex[:8]
    names = {"api": f"kt_{suffix}_kanban_api", "worker": f"kt_{suffix}_kanban_worker"}
    try:
        yield names
    finally:

        async def cleanup() -> None:
            for name in names.values():
                await pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            for name in names.values():
                await pg_admin(f'DROP ROLE IF EXISTS "{name}"')

        asyncio.run(cleanup())


@pytest.fixture
def provisioned(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    require("PostgreSQL", postgres_reachable())
    env_file = tmp_path_factory.mktemp("provision") / "databases.env"
    with _fresh_names() as names:
        given = {"KANBAN_API_DB_PASSWORD": "pw-api-given", "KANBAN_WORKER_DB_PASSWORD": "pw-worker-given"}
        first = run_cli(*_provision_args(names, "--env-file", str(env_file)), env=given)
        assert first.returncode == 0, first.stderr
        assert "pw-" not in first.stdout + first.stderr  # the URLs printed carry no password
        assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
        again = run_cli(*_provision_args(names))  # idempotent; no password given: each role keeps its own
        assert again.returncode == 0, again.stderr
        assert "password unchanged" in again.stdout and "_DB_PASSWORD=" not in again.stdout
        yield read_env_file(env_file)


def test_provision_generates_passwords_and_prints_them_once_outside_the_urls() -> None:
    require("PostgreSQL", postgres_reachable())
    with _fresh_names() as names:
        result = run_cli(*_provision_args(names))
        assert result.returncode == 0, result.stderr
        assert "shown only this once" in result.stderr
        lines = dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)
        password = lines["KANBAN_API_DB_PASSWORD"]
        assert len(password) >= 24 and password not in lines["API_DATABASE_URL"]
        assert "***" in lines["API_DATABASE_URL"]
        url = parse_database_url(lines["API_DATABASE_URL"]).url.set(password=password)
        assert asyncio.run(_can_connect(url.render_as_string(hide_password=False)))


async def _can_connect(url: str) -> bool:
    try:
        conn = await asyncpg.connect(parse_database_url(url).libpq_dsn)
    except (asyncpg.InsufficientPrivilegeError, asyncpg.InvalidAuthorizationSpecificationError):
        return False
    await conn.close()
    return True


def test_success_criteria_hold_while_both_services_run(provisioned: dict[str, str], tmp_path: Path) -> None:
    api_db = parse_database_url(provisioned["API_DATABASE_URL"])
    worker_db = parse_database_url(provisioned["WORKER_DATABASE_URL"])

    # Neither role can connect to the other's database: the server refuses it.
    assert asyncio.run(_can_connect(api_db.with_database(worker_db.database).url.render_as_string(False))) is False
    assert asyncio.run(_can_connect(worker_db.with_database(api_db.database).url.render_as_string(False))) is False

    system = build_system(api_db, worker_db, tmp_path)
    system.start()
    try:
        # Health is ready on both, and the runbook's `logs api | grep -i database` check works.
        assert "database" in system.api.logs().lower() and api_db.database in system.api.logs()
        assert worker_db.database in system.worker.logs()
        result = run_cli("doctor", env=system.env)
        assert result.returncode == 0, result.stdout + result.stderr
        lines = result.stdout.splitlines()
        for expected in (
            "two separate databases",
            "API connects only to its database",
            "Worker connects only to its database",
            "API role cannot reach the Worker database",
            "Worker role cannot reach the API database",
            "api schema applied",
            "worker schema applied",
            "api can read and write its database",
            "worker can read and write its database",
            "Worker reachable from the API (http)",
            "API reachable from the Worker (http)",
            "api event lag",
            "worker event lag",
        ):
            assert any(line.startswith(f"✓ {expected}") for line in lines), (expected, result.stdout)
    finally:
        system.stop()


def test_doctor_fails_when_a_service_is_down(provisioned: dict[str, str], tmp_path: Path) -> None:
    api_db = parse_database_url(provisioned["API_DATABASE_URL"])
    worker_db = parse_database_url(provisioned["WORKER_DATABASE_URL"])
    system = build_system(api_db, worker_db, tmp_path)
    system.api.start()
    try:
        result = run_cli("doctor", env=system.env)
        assert result.returncode == 1
        assert "✗ Worker reachable from the API (http)" in result.stdout
        # The API itself stays ready (it serves fine) and reports its peer away.
        ready = httpx.get(f"{system.api.base_url}/api/v1/health/ready", timeout=10)
        assert ready.status_code == 200 and ready.json()["peers"]["worker"] != "ok"
    finally:
        system.stop()

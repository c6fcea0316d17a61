"""The files `kanban up`, `kanban db upgrade` and `kanban migrate` make: private from creation, and an env file the settings read.

Run with umask 0, so a file created without an explicit mode would be world-readable, and with
every chmod refused, so a file can only be private because it was created so: together they show
each file is 0600 (each directory 0700) at every moment of its life.
"""

from __future__ import annotations

import asyncio
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from kanban.cli.up import embedded_env
from kanban.db import migrations
from kanban.db.engine import make_engine
from kanban.db.urls import parse_database_url
from kanban.ops.legacy.report import SplitReport
from kanban.ops.migrate.manifest import Manifest
from kanban.settings import load_settings, read_env_file


class RecordingEnv(dict[str, str]):
    """An environment that remembers every variable the settings asked for."""

    def __init__(self, values: dict[str, str]) -> None:
        super().__init__(values)
        self.asked: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:
        self.asked.add(key)
        return super().get(key, default)

    def __getitem__(self, key: str) -> str:
        self.asked.add(key)
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        self.asked.add(str(key))
        return super().__contains__(key)


@pytest.fixture
def no_chmod_umask_zero(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("a file was made private after its creation (chmod)")

    monkeypatch.setattr(os, "chmod", refuse)
    monkeypatch.setattr(os, "fchmod", refuse)
    monkeypatch.setattr(Path, "chmod", refuse)
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_every_key_of_the_env_file_is_a_variable_the_settings_read(tmp_path: Path) -> None:
    embedded_env(tmp_path / "data", 8100, 8101)
    values = read_env_file(tmp_path / "data" / "kanban.env")
    asked: set[str] = set()
    for service in ("api", "worker"):
        env = RecordingEnv(values)
        load_settings(service, env)  # type: ignore[arg-type]
        asked |= env.asked
    assert set(values) <= asked, f"written but never read: {sorted(set(values) - asked)}"


def test_services_started_from_the_env_file_alone_listen_where_kanban_up_puts_them(tmp_path: Path) -> None:
    embedded_env(tmp_path / "data", 8100, 8101)
    values = read_env_file(tmp_path / "data" / "kanban.env")
    api, worker = load_settings("api", values), load_settings("worker", values)
    assert (api.host, api.port) == ("127.0.0.1", 8100)
    assert (worker.host, worker.port) == ("127.0.0.1", 8101)
    assert api.peer_events_url == "http://127.0.0.1:8101/internal/events"
    assert worker.peer_events_url == "http://127.0.0.1:8100/internal/events"
    # A service run alone may still say where it listens.
    assert load_settings("worker", {k: v for k, v in values.items() if k != "KANBAN_WORKER_PORT"}).port == 8001
    assert load_settings("worker", values | {"KANBAN_WORKER_PORT": "", "KANBAN_PORT": "9001"}).port == 9001


def test_data_directory_env_file_and_databases_are_private_from_creation(
    tmp_path: Path, no_chmod_umask_zero: None
) -> None:
    data = tmp_path / "data"
    values = embedded_env(data, 8100, 8101)
    assert _mode(data) == 0o700
    assert _mode(data / "kanban.env") == 0o600
    embedded_env(data, 8200, 8201)  # rewritten on every start: still private
    assert _mode(data / "kanban.env") == 0o600

    for service, var in (("api", "API_DATABASE_URL"), ("worker", "WORKER_DATABASE_URL")):
        migrations.upgrade(f"kanban.{service}:migrations", parse_database_url(values[var]))

    async def hold_a_write_open() -> dict[str, int]:
        engine = make_engine(parse_database_url(values["API_DATABASE_URL"]), "kanban-test")
        try:
            async with engine.begin() as conn:
                await conn.execute(text("CREATE TABLE probe (x INTEGER)"))
                await conn.execute(text("INSERT INTO probe VALUES (1)"))
                return {p.name: _mode(p) for p in data.iterdir()}
        finally:
            await engine.dispose()

    modes = asyncio.run(hold_a_write_open())
    assert {"kanban_api.db", "kanban_api.db-wal", "kanban_api.db-shm", "kanban_worker.db"} <= set(modes), modes
    assert set(modes.values()) == {0o600}, modes


def test_migrate_outputs_are_private_from_creation(tmp_path: Path, no_chmod_umask_zero: None) -> None:
    backup = tmp_path / "backup.dump"
    backup.touch(mode=0o600)
    Manifest("id", "2026-01-01T00:00:00+00:00", "kanban-portable-v1", backup.name, "postgresql://x", {}, {}).write(
        backup
    )
    assert _mode(tmp_path / "backup.dump.manifest.json") == 0o600
    report = tmp_path / "split-report.json"
    SplitReport(layout="public", run_id="r", backup=None, dry_run=True).write(report)
    assert _mode(report) == 0o600
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []

"""Fixtures shared by every tier. Database fixtures run each test on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from kanban.db.urls import DatabaseUrl
from tests.support.databases import DatabaseFactory
from tests.support.hangs import reported_before
from tests.support.servers import nats_reachable, postgres_reachable, require

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(autouse=True)
def hang_report(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test that runs into its timeout says first what it was waiting on (tests/support/hangs.py)."""
    marker = request.node.get_closest_marker("timeout")
    timeout = marker.args[0] if marker and marker.args else request.config.getoption("timeout", None)
    with reported_before(float(timeout if timeout is not None else request.config.getini("timeout") or 0)):
        yield


@pytest.fixture(scope="session")
def session_workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("kanban")


@pytest.fixture(scope="session")
async def database_factory(session_workdir: Path) -> AsyncIterator[DatabaseFactory]:
    factory = DatabaseFactory(session_workdir)
    yield factory
    if postgres_reachable():
        await factory.drop_all()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgres":
        require("PostgreSQL", postgres_reachable())
    return str(request.param)


@pytest.fixture
async def api_db(database_factory: DatabaseFactory, backend: str) -> DatabaseUrl:
    """A fresh API database at schema head, on the test's backend."""
    return await database_factory.create("api", backend)


@pytest.fixture
async def worker_db(database_factory: DatabaseFactory, backend: str) -> DatabaseUrl:
    """A fresh Worker database at schema head, on the test's backend."""
    return await database_factory.create("worker", backend)


@pytest.fixture
def nats_server() -> Iterator[str]:
    require("NATS", nats_reachable())
    yield "nats://127.0.0.1:4222"

"""A deadlock or serialization failure the server reports becomes a 409 to retry, never a 500."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy.exc import DBAPIError

from kanban.api.problems import install_problem_handlers


class ServerError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(f"sqlstate {sqlstate}")
        self.sqlstate = sqlstate


def app_raising(sqlstate: str) -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/boom")
    async def boom() -> None:
        raise DBAPIError("UPDATE tasks ...", {}, ServerError(sqlstate))

    return app


async def post(app: FastAPI) -> httpx.Response:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.post("/boom")


async def test_a_deadlock_victim_is_told_to_retry() -> None:
    reply = await post(app_raising("40P01"))
    assert reply.status_code == 409
    assert reply.headers["content-type"] == "application/problem+json"
    assert reply.headers["Retry-After"] == "1"
    assert "retry" in reply.json()["detail"]


async def test_other_database_errors_stay_internal_errors() -> None:
    reply = await post(app_raising("23505"))
    assert reply.status_code == 500
    assert reply.json()["title"] == "Internal server error"


async def test_a_busy_sqlite_database_is_a_503_to_retry() -> None:
    import sqlite3

    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/boom")
    async def boom() -> None:
        raise DBAPIError("INSERT INTO tasks ...", {}, sqlite3.OperationalError("database is locked"))

    reply = await post(app)
    assert reply.status_code == 503 and reply.headers["Retry-After"] == "1"
    assert reply.json()["title"] == "Database busy"

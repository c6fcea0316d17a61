"""Boards and tasks made through the HTTP API, for the board, column, task and clarify tests."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update

from kanban.api.tables import tasks
from tests.integration.api.conftest import ApiHarness


async def create_board(api: ApiHarness, me: dict[str, str], name: str = "Home") -> dict[str, Any]:
    """A board with the seeded GTD columns, as GET /boards/{id} returns it."""
    created = await api.client.post("/boards", json={"name": name}, headers=me)
    assert created.status_code == 201, created.text
    detail = await api.client.get(f"/boards/{created.json()['id']}", headers=me)
    assert detail.status_code == 200
    return detail.json()  # type: ignore[no-any-return]


def column_id(board: dict[str, Any], column_type: str) -> str:
    return next(c["id"] for c in board["columns"] if c["type"] == column_type)


async def create_task(api: ApiHarness, me: dict[str, str], board: dict[str, Any], **body: Any) -> dict[str, Any]:
    body.setdefault("title", "A task")
    created = await api.client.post(f"/boards/{board['id']}/tasks", json=body, headers=me)
    assert created.status_code == 201, created.text
    return created.json()  # type: ignore[no-any-return]


async def count_rows(api: ApiHarness, table: Any, **where: Any) -> int:
    stmt = select(func.count()).select_from(table)
    for key, value in where.items():
        stmt = stmt.where(table.c[key] == value)
    async with api.app.state.services.engine.connect() as conn:  # type: ignore[attr-defined]
        return int((await conn.execute(stmt)).scalar_one())


async def set_task_columns(api: ApiHarness, task_id: str, **values: Any) -> None:
    """Write task columns directly (e.g. an old last_moved_at), as time passing would."""
    async with api.app.state.services.engine.begin() as conn:  # type: ignore[attr-defined]
        await conn.execute(update(tasks).where(tasks.c.id == task_id).values(**values))

"""Rows inserted straight into the API database, for tests that need a board, columns or tasks to exist."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from kanban.api.tables import boards, columns, messaging, tasks
from kanban.db.types import new_id, utcnow
from tests.integration.api.conftest import ApiHarness


@dataclass(frozen=True)
class BoardRows:
    board_id: str
    owner_id: str
    columns: dict[str, str]  # column type -> id


async def make_board(api: ApiHarness, headers: dict[str, str], name: str = "Board") -> BoardRows:
    owner_id = headers["X-User-Id"]
    board_id = new_id()
    now = utcnow()
    column_ids = {kind: new_id() for kind in ("INPUT", "CONTEXT", "DONE")}
    async with api.app.state.services.engine.begin() as conn:  # type: ignore[attr-defined]
        await conn.execute(
            boards.insert().values(
                id=board_id, owner_id=owner_id, name=name, config={}, version=1, created_at=now, updated_at=now
            )
        )
        for position, (kind, column_id) in enumerate(column_ids.items()):
            await conn.execute(
                columns.insert().values(
                    id=column_id, board_id=board_id, name=kind.title(), type=kind, position=position,
                    created_at=now, updated_at=now,
                )
            )  # fmt: skip
    return BoardRows(board_id=board_id, owner_id=owner_id, columns=column_ids)


async def make_task(api: ApiHarness, board: BoardRows, title: str = "Task", **values: Any) -> str:
    task_id = new_id()
    now = utcnow()
    column_type = values.pop("column_type", "INPUT")
    row = {
        "id": task_id, "board_id": board.board_id, "column_id": board.columns[column_type],
        "owner_id": board.owner_id, "title": title, "position": 0, "version": 1,
        "is_done": column_type == "DONE", "created_at": now, "updated_at": now, "last_moved_at": now,
    }  # fmt: skip
    row.update(values)
    async with api.app.state.services.engine.begin() as conn:  # type: ignore[attr-defined]
        await conn.execute(tasks.insert().values(**row))
    return task_id


async def task_row(api: ApiHarness, task_id: str) -> Any:
    async with api.app.state.services.engine.connect() as conn:  # type: ignore[attr-defined]
        return (await conn.execute(select(tasks).where(tasks.c.id == task_id))).one()


async def outbox_events(api: ApiHarness, aggregate_id: str | None = None) -> list[tuple[str, str]]:
    """(event type, aggregate id) of every outbox row, oldest first, optionally of one aggregate."""
    outbox = messaging.outbox
    stmt = select(outbox.c.event_type, outbox.c.aggregate_id).order_by(outbox.c.seq)
    if aggregate_id is not None:
        stmt = stmt.where(outbox.c.aggregate_id == aggregate_id)
    async with api.app.state.services.engine.connect() as conn:  # type: ignore[attr-defined]
        return [(row[0], row[1]) for row in (await conn.execute(stmt)).all()]


async def outbox_count(api: ApiHarness) -> int:
    outbox = messaging.outbox
    async with api.app.state.services.engine.connect() as conn:  # type: ignore[attr-defined]
        return int((await conn.execute(select(func.count()).select_from(outbox))).scalar_one())


def problem_fields(body: dict[str, Any]) -> set[str]:
    """Every field a problem+json body names, from `field` (domain errors) or `errors` (request validation)."""
    fields = {e["field"] for e in body.get("errors") or []}
    if body.get("field"):
        fields.add(body["field"])
    return fields


async def outbox_versions(api: ApiHarness, aggregate_id: str) -> list[int]:
    """The aggregate versions of one aggregate's events, in outbox order."""
    outbox = messaging.outbox
    stmt = select(outbox.c.envelope).where(outbox.c.aggregate_id == aggregate_id).order_by(outbox.c.seq)
    async with api.app.state.services.engine.connect() as conn:  # type: ignore[attr-defined]
        return [json.loads(row[0])["aggregate_version"] for row in (await conn.execute(stmt)).all()]

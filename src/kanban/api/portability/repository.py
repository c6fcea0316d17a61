"""SQL of portability: reading a board's rows for an export, writing an import's rows, the imports ledger."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import Row, select

from kanban.api.portability.document import BOARD, ENTITIES, TASK_TAG_IDS, Entity, row_to_json
from kanban.api.tables import boards, imports, task_tags, tasks, users
from kanban.db.async_core import AsyncConnection

# A stable order for every entity, so two exports of the same data are the same text.
_ORDER: dict[str, tuple[str, ...]] = {
    "columns": ("position", "created_at", "id"),
    "tasks": ("column_id", "position", "created_at", "id"),
    "checklistItems": ("task_id", "position", "created_at", "id"),
    "taskEvents": ("created_at", "id"),
}


def _board_rows(entity: Entity, board_id: str) -> Any:
    table = entity.table
    if "board_id" in table.c:
        where = table.c.board_id == board_id
    else:  # rows that belong to a task of the board
        where = table.c.task_id.in_(select(tasks.c.id).where(tasks.c.board_id == board_id))
    order = [table.c[name] for name in _ORDER.get(entity.key, ("created_at", "id"))]
    return select(table).where(where).order_by(*order)


async def board_document(conn: AsyncConnection, board: Row[Any]) -> dict[str, Any]:
    """One board and everything under it, as the document's board object (a statement per table)."""
    out = row_to_json(BOARD, board)
    for entity in ENTITIES:
        out[entity.key] = [row_to_json(entity, r) for r in await conn.execute(_board_rows(entity, board.id))]
    tag_ids: dict[str, list[str]] = defaultdict(list)
    links = await conn.execute(
        select(task_tags.c.task_id, task_tags.c.tag_id)
        .join(tasks, tasks.c.id == task_tags.c.task_id)
        .where(tasks.c.board_id == board.id)
        .order_by(task_tags.c.task_id, task_tags.c.tag_id)
    )
    for link in links:
        tag_ids[link.task_id].append(link.tag_id)
    for task in out["tasks"]:
        task[TASK_TAG_IDS] = tag_ids.get(task["id"], [])
    return out


async def owner_boards(conn: AsyncConnection, user_id: str, board_id: str | None = None) -> list[Row[Any]]:
    stmt = select(boards).where(boards.c.owner_id == user_id).order_by(boards.c.created_at, boards.c.id)
    if board_id is not None:
        stmt = stmt.where(boards.c.id == board_id)
    return list((await conn.execute(stmt)).all())


async def user_row(conn: AsyncConnection, user_id: str) -> Row[Any] | None:
    return (await conn.execute(select(users).where(users.c.id == user_id))).first()


async def earlier_import(conn: AsyncConnection, user_id: str, key: str) -> Row[Any] | None:
    return (await conn.execute(select(imports).where(imports.c.user_id == user_id, imports.c.key == key))).first()


async def insert_rows(conn: AsyncConnection, rows_by_entity: dict[str, list[dict[str, Any]]]) -> None:
    """The import's rows, table by table in dependency order: one multi-row INSERT per table."""
    for entity in (BOARD, *ENTITIES):
        rows = rows_by_entity.get(entity.key) or []
        if rows:
            await conn.execute(entity.table.insert(), rows)
    links = rows_by_entity.get("taskTags") or []
    if links:
        await conn.execute(task_tags.insert(), links)

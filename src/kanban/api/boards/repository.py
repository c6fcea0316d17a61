"""SQL for boards: the board with its owner's default, its seeded columns, its stale tasks (the whole board: view.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, delete, select, update

from kanban.api.boards.schemas import BoardOut, BoardSettingsOut
from kanban.api.tables import (
    boards,
    checklist_items,
    columns,
    email_action_tokens,
    hints,
    projects,
    recurring_templates,
    rules,
    tags,
    task_events,
    task_tags,
    tasks,
    users,
)
from kanban.api.tasks import repository as task_repo
from kanban.api.tasks.rules import RESTING_TYPES, SEED_COLUMNS, BoardSettings, stale_cutoff
from kanban.contracts.events import BoardState
from kanban.db.async_core import AsyncConnection
from kanban.db.types import new_id, utcnow


def board_out(row: Row[Any], default_board_id: str | None = None) -> BoardOut:
    settings = BoardSettings.from_config(row.config)
    return BoardOut(
        id=row.id,
        name=row.name,
        description=row.description,
        version=row.version,
        settings=BoardSettingsOut(
            stale_after_days=settings.stale_after_days,
            auto_apply_hints=settings.auto_apply_hints,
            auto_apply_threshold=settings.auto_apply_threshold,
            stale_basis=settings.stale_basis,
        ),
        is_default=row.id == default_board_id,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def board_state(row: Row[Any]) -> BoardState:
    settings = BoardSettings.from_config(row.config)
    return BoardState(
        board_id=row.id,
        owner_id=row.owner_id,
        name=row.name,
        auto_apply_hints=settings.auto_apply_hints,
        auto_apply_threshold=settings.auto_apply_threshold,
        stale_after_days=settings.stale_after_days,
        version=row.version,
    )


async def get_board(conn: AsyncConnection, board_id: str) -> Row[Any]:
    return (await conn.execute(select(boards).where(boards.c.id == board_id))).one()


async def default_board_id(conn: AsyncConnection, user_id: str, *, for_update: bool = False) -> str | None:
    stmt = select(users.c.default_board_id).where(users.c.id == user_id)
    if for_update and conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    return (await conn.execute(stmt)).scalar_one_or_none()


async def insert_board(
    conn: AsyncConnection, user_id: str, name: str, description: str | None, settings: BoardSettings
) -> str:
    """A new board with the GTD columns seeded."""
    board_id, now = new_id(), utcnow()
    await conn.execute(
        boards.insert().values(
            id=board_id,
            owner_id=user_id,
            name=name,
            description=description,
            config=settings.to_config(),
            version=1,
            created_at=now,
            updated_at=now,
        )
    )
    await conn.execute(
        columns.insert(),
        [
            {
                "id": new_id(),
                "board_id": board_id,
                "name": col_name,
                "type": col_type,
                "wip_limit": None,
                "position": i,
                "created_at": now,
                "updated_at": now,
            }
            for i, (col_name, col_type) in enumerate(SEED_COLUMNS)
        ],
    )
    return board_id


async def list_boards(conn: AsyncConnection, user_id: str) -> list[BoardOut]:
    default = await default_board_id(conn, user_id)
    rows = await conn.execute(select(boards).where(boards.c.owner_id == user_id).order_by(boards.c.created_at))
    return [board_out(r, default) for r in rows]


async def stale_rows(conn: AsyncConnection, board_id: str, stale_after_days: int) -> list[Any]:
    cutoff = stale_cutoff(utcnow(), stale_after_days)
    result = await conn.execute(
        task_repo.tasks_with_column()
        .where(
            tasks.c.board_id == board_id,
            columns.c.type.not_in(sorted(RESTING_TYPES)),
            tasks.c.last_moved_at <= cutoff,
        )
        .order_by(tasks.c.last_moved_at, tasks.c.id)
    )
    return list(result.all())


async def delete_board_rows(conn: AsyncConnection, board_id: str) -> None:
    """Everything under the board, children first, so no foreign key (or missing cascade) can stop it."""
    board_tasks = select(tasks.c.id).where(tasks.c.board_id == board_id)
    for table in (task_tags, checklist_items, hints, email_action_tokens):
        await conn.execute(delete(table).where(table.c.task_id.in_(board_tasks)))
    await conn.execute(delete(tasks).where(tasks.c.board_id == board_id))
    for table in (tags, projects, rules, recurring_templates, task_events, columns):
        await conn.execute(delete(table).where(table.c.board_id == board_id))
    await conn.execute(update(users).where(users.c.default_board_id == board_id).values(default_board_id=None))
    await conn.execute(delete(boards).where(boards.c.id == board_id))

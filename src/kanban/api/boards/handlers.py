"""Board commands: create (with the GTD columns), the lazy default board, rename, settings, delete."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import select, update

from kanban.api.boards import repository as repo
from kanban.api.boards.schemas import BoardOut, BoardSettingsBody
from kanban.api.errors import InvalidInput
from kanban.api.ownership import owned_board
from kanban.api.tables import boards, tasks, users
from kanban.api.tasks.rules import BoardSettings
from kanban.contracts.events import BoardCreatedV1, BoardDeletedV1, BoardUpdatedV1, TaskDeletedV1
from kanban.db.types import utcnow
from kanban.messaging.unit_of_work import UnitOfWork

DEFAULT_BOARD_NAME = "My board"


@dataclass(frozen=True)
class CreateBoard:
    user_id: str
    name: str
    description: str | None = None
    settings: BoardSettingsBody | None = None


@dataclass(frozen=True)
class UpdateBoard:
    user_id: str
    board_id: str
    changes: dict[str, Any]


@dataclass(frozen=True)
class UpdateBoardSettings:
    user_id: str
    board_id: str
    settings: BoardSettingsBody


@dataclass(frozen=True)
class DeleteBoard:
    user_id: str
    board_id: str


def _merge(settings: BoardSettings, body: BoardSettingsBody | None) -> BoardSettings:
    if body is None:
        return settings
    return replace(settings, **{k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None})


async def _create(uow: UnitOfWork, cmd: CreateBoard) -> str:
    conn = uow.conn
    default = await repo.default_board_id(conn, cmd.user_id, for_update=True)
    board_id = await repo.insert_board(
        conn, cmd.user_id, cmd.name, cmd.description, _merge(BoardSettings(), cmd.settings)
    )
    if default is None:
        await conn.execute(update(users).where(users.c.id == cmd.user_id).values(default_board_id=board_id))
    row = await repo.get_board(conn, board_id)
    uow.record(BoardCreatedV1(board=repo.board_state(row)), aggregate_id=board_id, aggregate_version=1)
    return board_id


async def create_board(cmd: CreateBoard, uow: UnitOfWork) -> BoardOut:
    board_id = await _create(uow, cmd)
    out = repo.board_out(await repo.get_board(uow.conn, board_id), await repo.default_board_id(uow.conn, cmd.user_id))
    await uow.commit()
    return out


async def create_default_board(user_id: str, uow: UnitOfWork) -> str:
    """A new account's first board, with the seeded columns; does not commit (registration does)."""
    return await _create(uow, CreateBoard(user_id=user_id, name=DEFAULT_BOARD_NAME))


async def default_board(user_id: str, uow: UnitOfWork) -> str:
    """The user's default board id, creating it (with the seeded columns) the first time."""
    conn = uow.conn
    board_id = await repo.default_board_id(conn, user_id, for_update=True)
    if board_id is not None:
        return board_id
    first = (
        await conn.execute(
            select(boards.c.id).where(boards.c.owner_id == user_id).order_by(boards.c.created_at).limit(1)
        )
    ).scalar_one_or_none()
    if first is not None:
        await conn.execute(update(users).where(users.c.id == user_id).values(default_board_id=first))
        await uow.commit()
        return first
    board_id = await create_default_board(user_id, uow)
    await uow.commit()
    return board_id


async def _bump(uow: UnitOfWork, board_id: str, values: dict[str, Any], changed: list[str]) -> None:
    await uow.conn.execute(
        update(boards)
        .where(boards.c.id == board_id)
        .values(**values, version=boards.c.version + 1, updated_at=utcnow())
    )
    row = await repo.get_board(uow.conn, board_id)
    uow.record(
        BoardUpdatedV1(board=repo.board_state(row), changed_fields=tuple(changed)),
        aggregate_id=board_id,
        aggregate_version=row.version,
    )


async def update_board(cmd: UpdateBoard, uow: UnitOfWork) -> BoardOut:
    conn = uow.conn
    board = await owned_board(conn, cmd.board_id, cmd.user_id, for_update=True)
    if "name" in cmd.changes and cmd.changes["name"] is None:
        raise InvalidInput("name cannot be null", field="name")
    changes = {k: v for k, v in cmd.changes.items() if getattr(board, k) != v}
    if changes:
        await _bump(uow, board.id, changes, list(changes))
    out = repo.board_out(await repo.get_board(conn, board.id), await repo.default_board_id(conn, cmd.user_id))
    await uow.commit()
    return out


async def update_settings(cmd: UpdateBoardSettings, uow: UnitOfWork) -> BoardOut:
    conn = uow.conn
    board = await owned_board(conn, cmd.board_id, cmd.user_id, for_update=True)
    old = BoardSettings.from_config(board.config)
    new = _merge(old, cmd.settings)
    if new != old:
        changed = [k for k, v in new.to_config().items() if old.to_config()[k] != v]
        await _bump(uow, board.id, {"config": {**(board.config or {}), **new.to_config()}}, changed)
    out = repo.board_out(await repo.get_board(conn, board.id), await repo.default_board_id(conn, cmd.user_id))
    await uow.commit()
    return out


async def delete_board(cmd: DeleteBoard, uow: UnitOfWork) -> None:
    """The board and everything under it in one transaction; each task's deletion is announced."""
    conn = uow.conn
    board = await owned_board(conn, cmd.board_id, cmd.user_id, for_update=True)
    task_rows = (
        await conn.execute(select(tasks.c.id, tasks.c.version).where(tasks.c.board_id == board.id).order_by(tasks.c.id))
    ).all()
    await repo.delete_board_rows(conn, board.id)
    for t in task_rows:
        uow.record(TaskDeletedV1(task_id=t.id, board_id=board.id), aggregate_id=t.id, aggregate_version=t.version + 1)
    uow.record(BoardDeletedV1(board_id=board.id), aggregate_id=board.id, aggregate_version=board.version + 1)
    await uow.commit()

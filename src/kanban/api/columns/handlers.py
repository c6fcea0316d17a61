"""Column commands: add, rename/retype/limit, reorder, delete (only when empty, never the last Inbox)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, bindparam, delete, update

from kanban.api.columns.schemas import ColumnOut, CreateColumnRequest
from kanban.api.errors import Conflict, InvalidInput
from kanban.api.ownership import owned_board, owned_column
from kanban.api.tables import columns
from kanban.api.tasks import repository as task_repo
from kanban.api.tasks.handlers import triggered_by
from kanban.api.tasks.rules import lane_context
from kanban.api.tasks.state import record_task_change
from kanban.db.async_core import AsyncConnection
from kanban.db.types import new_id, utcnow
from kanban.messaging.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class CreateColumn:
    user_id: str
    board_id: str
    body: CreateColumnRequest


@dataclass(frozen=True)
class UpdateColumn:
    user_id: str
    column_id: str
    changes: dict[str, Any]


@dataclass(frozen=True)
class ReorderColumns:
    user_id: str
    board_id: str
    column_ids: list[str]


@dataclass(frozen=True)
class DeleteColumn:
    user_id: str
    column_id: str


async def column_out(conn: AsyncConnection, column_id: str) -> ColumnOut:
    row = await task_repo.column_by_id(conn, column_id)
    return ColumnOut(
        **dict(row._mapping),
        lane_context=lane_context(row.name) if row.type == "CONTEXT" else None,
        task_count=await task_repo.count_in_column(conn, column_id),
    )


async def _write_column_positions(conn: AsyncConnection, ordered_ids: list[str]) -> None:
    await conn.execute(
        update(columns).where(columns.c.id == bindparam("cid")).values(position=bindparam("pos")),
        [{"cid": cid, "pos": pos} for pos, cid in enumerate(ordered_ids)],
    )


def _count_of_type(board_columns: list[Row[Any]], column_type: str) -> int:
    return sum(1 for c in board_columns if c.type == column_type)


async def create_column(cmd: CreateColumn, uow: UnitOfWork) -> ColumnOut:
    conn, body, now = uow.conn, cmd.body, utcnow()
    await owned_board(conn, cmd.board_id, cmd.user_id, for_update=True)
    existing = [c.id for c in await task_repo.board_columns(conn, cmd.board_id)]
    column_id = new_id()
    await conn.execute(
        columns.insert().values(
            id=column_id,
            board_id=cmd.board_id,
            name=body.name,
            type=body.type,
            wip_limit=body.wip_limit,
            position=len(existing),
            created_at=now,
            updated_at=now,
        )
    )
    at = len(existing) if body.position is None else min(body.position, len(existing))
    await _write_column_positions(conn, [*existing[:at], column_id, *existing[at:]])
    out = await column_out(conn, column_id)
    await uow.commit()
    return out


async def update_column(cmd: UpdateColumn, uow: UnitOfWork) -> ColumnOut:
    conn = uow.conn
    column = await owned_column(conn, cmd.column_id, cmd.user_id)
    await owned_board(conn, column.board_id, cmd.user_id, for_update=True)
    await task_repo.column_on_board(conn, column.board_id, column.id, for_update=True)  # tasks entering wait
    changes = dict(cmd.changes)
    for field in ("name", "type"):
        if field in changes and changes[field] is None:
            raise InvalidInput(f"{field} cannot be null", field=field)
    occupied = await task_repo.count_in_column(conn, column.id)
    new_type = changes.get("type", column.type)
    if new_type != column.type:
        if (
            column.type == "INPUT"
            and _count_of_type(await task_repo.board_columns(conn, column.board_id), "INPUT") == 1
        ):
            raise Conflict("a board keeps at least one INPUT column")
        if occupied and "DONE" in (new_type, column.type):
            raise Conflict("move the column's tasks out before retyping it into or out of DONE")
    limit = changes.get("wip_limit", column.wip_limit)
    if "wip_limit" in changes and limit is not None and occupied > limit:
        raise Conflict(f"the column holds {occupied} tasks, more than a limit of {limit}", count=occupied)
    if changes:
        await conn.execute(update(columns).where(columns.c.id == column.id).values(**changes, updated_at=utcnow()))
    if new_type != column.type:
        await _announce_retype(uow, column, new_type, triggered_by(cmd.user_id))
    out = await column_out(conn, column.id)
    await uow.commit()
    return out


async def _announce_retype(uow: UnitOfWork, column: Row[Any], new_type: str, by: str) -> None:
    """A task's state carries its column's type, so each task in a retyped column gets a new version."""
    for task_id in await task_repo.column_task_ids(uow.conn, column.id):
        await record_task_change(
            uow,
            task_id,
            kind="updated",
            changed_fields=["column_type"],
            payload={"changes": {"columnType": {"old": column.type, "new": new_type}}},
            triggered_by=by,
            # No column ids (the task stays put), but both types: flow analytics reads a retype
            # as the task's type changing in place.
            from_column_type=column.type,
            to_column_type=new_type,
        )


async def reorder_columns(cmd: ReorderColumns, uow: UnitOfWork) -> list[ColumnOut]:
    conn = uow.conn
    await owned_board(conn, cmd.board_id, cmd.user_id, for_update=True)
    existing = {c.id for c in await task_repo.board_columns(conn, cmd.board_id)}
    if len(cmd.column_ids) != len(set(cmd.column_ids)) or set(cmd.column_ids) != existing:
        raise InvalidInput("columnIds must list every column of the board exactly once", field="columnIds")
    await _write_column_positions(conn, cmd.column_ids)
    out = [await column_out(conn, cid) for cid in cmd.column_ids]
    await uow.commit()
    return out


async def delete_column(cmd: DeleteColumn, uow: UnitOfWork) -> None:
    conn = uow.conn
    column = await owned_column(conn, cmd.column_id, cmd.user_id)
    await owned_board(conn, column.board_id, cmd.user_id, for_update=True)
    await task_repo.column_on_board(conn, column.board_id, column.id, for_update=True)  # tasks entering wait
    if await task_repo.count_in_column(conn, column.id):
        raise Conflict("the column still holds tasks; move or delete them first")
    board_columns = await task_repo.board_columns(conn, column.board_id)
    if column.type == "INPUT" and _count_of_type(board_columns, "INPUT") == 1:
        raise Conflict("a board keeps at least one INPUT column")
    await conn.execute(delete(columns).where(columns.c.id == column.id))
    await _write_column_positions(conn, [c.id for c in board_columns if c.id != column.id])
    await uow.commit()

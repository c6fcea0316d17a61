"""Recurring template commands: create, edit, delete, each keeping `next_run_at` up to date.

A template's rule is anchored at its creation time (its DTSTART): INTERVAL and COUNT count from
it, and a rule without BYHOUR fires at the time of day the template was created. An inactive
template, or one whose rule has ended, has no next run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Row

from kanban.api.errors import InvalidInput
from kanban.api.ownership import owned_board, owned_on_board
from kanban.api.tables import recurring_templates
from kanban.api.templates import repository as repo
from kanban.api.templates.rrule import next_occurrence
from kanban.db.types import new_id, utcnow
from kanban.messaging.unit_of_work import UnitOfWork

EDITABLE = ("name", "description", "payload", "rrule", "timezone", "is_active")
NOT_NULL = ("name", "payload", "rrule", "timezone", "is_active")


@dataclass(frozen=True)
class CreateTemplate:
    """`payload` is the validated task document, camelCase as stored."""

    user_id: str
    board_id: str
    name: str
    payload: dict[str, Any]
    rrule: str
    timezone: str = "UTC"
    is_active: bool = True
    description: str | None = None


@dataclass(frozen=True)
class UpdateTemplate:
    user_id: str
    template_id: str
    changes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DeleteTemplate:
    user_id: str
    template_id: str


def next_run(rrule: str, timezone: str, *, is_active: bool, anchor: datetime, now: datetime) -> datetime | None:
    return next_occurrence(rrule, timezone, now, start=anchor) if is_active else None


async def _owned_template(uow: UnitOfWork, template_id: str, user_id: str) -> Row:
    return await owned_on_board(uow.conn, recurring_templates, template_id, user_id, label="template")


async def _check_payload(uow: UnitOfWork, board_id: str, payload: dict[str, Any]) -> None:
    column_id, project_id = payload.get("columnId"), payload.get("projectId")
    if column_id is not None and not await repo.column_on_board(uow.conn, column_id, board_id):
        raise InvalidInput(f"column {column_id} is not on this board", field="payload.columnId")
    if project_id is not None and not await repo.project_on_board(uow.conn, project_id, board_id):
        raise InvalidInput(f"project {project_id} is not on this board", field="payload.projectId")


async def list_templates(board_id: str, user_id: str, uow: UnitOfWork) -> list[Row]:
    await owned_board(uow.conn, board_id, user_id)
    return await repo.board_templates(uow.conn, board_id)


async def get_template(template_id: str, user_id: str, uow: UnitOfWork) -> Row:
    return await _owned_template(uow, template_id, user_id)


async def create_template(cmd: CreateTemplate, uow: UnitOfWork) -> Row:
    row = await add_template(cmd, uow)
    await uow.commit()
    return row


async def add_template(cmd: CreateTemplate, uow: UnitOfWork) -> Row:
    """Create a template inside the caller's unit of work; no commit."""
    await owned_board(uow.conn, cmd.board_id, cmd.user_id)
    await _check_payload(uow, cmd.board_id, cmd.payload)
    now = utcnow()
    template_id = new_id()
    await repo.insert_template(
        uow.conn,
        {
            "id": template_id, "board_id": cmd.board_id, "owner_id": cmd.user_id, "name": cmd.name,
            "description": cmd.description, "payload": cmd.payload, "rrule": cmd.rrule, "timezone": cmd.timezone,
            "is_active": cmd.is_active, "created_at": now, "updated_at": now,
            "next_run_at": next_run(cmd.rrule, cmd.timezone, is_active=cmd.is_active, anchor=now, now=now),
        },
    )  # fmt: skip
    return await repo.template_by_id(uow.conn, template_id)


async def update_template(cmd: UpdateTemplate, uow: UnitOfWork) -> Row:
    template = await _owned_template(uow, cmd.template_id, cmd.user_id)
    for name in NOT_NULL:
        if name in cmd.changes and cmd.changes[name] is None:
            raise InvalidInput(f"{name} cannot be null", field=name)
    values = {k: v for k, v in cmd.changes.items() if k in EDITABLE and v != template._mapping[k]}
    if not values:
        return template
    if "payload" in values:
        await _check_payload(uow, template.board_id, values["payload"])
    current = {**template._mapping, **values}
    now = utcnow()
    values["next_run_at"] = next_run(
        current["rrule"], current["timezone"], is_active=current["is_active"], anchor=template.created_at, now=now
    )
    await repo.update_template(uow.conn, template.id, {**values, "updated_at": now})
    row = await repo.template_by_id(uow.conn, template.id)
    await uow.commit()
    return row


async def delete_template(cmd: DeleteTemplate, uow: UnitOfWork) -> None:
    template = await _owned_template(uow, cmd.template_id, cmd.user_id)
    await repo.delete_template(uow.conn, template.id)
    await uow.commit()

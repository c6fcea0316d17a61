"""Rule commands: create, edit, delete. The shapes are checked by the schemas; here, that every column
and project a rule names is on the rule's own board.

Rules are the board owner's configuration, not read by the Worker, so they record no events.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Row

from kanban.api.errors import InvalidInput
from kanban.api.ownership import owned_board, owned_on_board
from kanban.api.rules import repository as repo
from kanban.api.tables import rules
from kanban.db.types import new_id, utcnow
from kanban.messaging.unit_of_work import UnitOfWork

REQUIRED = ("name", "enabled", "priority", "trigger", "conditions", "actions")


@dataclass(frozen=True)
class CreateRule:
    """`trigger`, `conditions` and `actions` are the validated JSON documents, camelCase as stored."""

    user_id: str
    board_id: str
    name: str
    trigger: dict[str, Any]
    actions: list[dict[str, Any]]
    conditions: list[dict[str, Any]] = field(default_factory=list)
    description: str | None = None
    enabled: bool = True
    priority: int = 100


@dataclass(frozen=True)
class UpdateRule:
    user_id: str
    rule_id: str
    changes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DeleteRule:
    user_id: str
    rule_id: str


async def _owned_rule(uow: UnitOfWork, rule_id: str, user_id: str) -> Row:
    return await owned_on_board(uow.conn, rules, rule_id, user_id, label="rule")


def _column_refs(document: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(field path, column id) for every column the rule's trigger, conditions and actions name."""
    for key in ("columnId", "fromColumnId", "toColumnId"):
        value = ((document.get("trigger") or {}).get("config") or {}).get(key)
        if value is not None:
            yield f"trigger.config.{key}", value
    for i, action in enumerate(document.get("actions") or []):
        if action["type"] == "move":
            yield f"actions.{i}.config.columnId", action["config"]["columnId"]
    yield from _condition_refs(document, "columnId")


def _project_refs(document: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for i, action in enumerate(document.get("actions") or []):
        if action["type"] == "set_project" and action["config"]["projectId"] is not None:
            yield f"actions.{i}.config.projectId", action["config"]["projectId"]
    yield from _condition_refs(document, "projectId")


def _condition_refs(document: dict[str, Any], field_name: str) -> Iterator[tuple[str, str]]:
    for i, condition in enumerate(document.get("conditions") or []):
        if condition["field"] != field_name or condition["operator"] not in ("eq", "neq", "in"):
            continue
        values = condition["value"] if isinstance(condition["value"], list) else [condition["value"]]
        for value in values:
            if value is not None:
                yield f"conditions.{i}.value", str(value)


async def _check_references(uow: UnitOfWork, board_id: str, document: dict[str, Any]) -> None:
    column_refs, project_refs = list(_column_refs(document)), list(_project_refs(document))
    if column_refs:
        known = await repo.board_column_ids(uow.conn, board_id)
        for path, column_id in column_refs:
            if column_id not in known:
                raise InvalidInput(f"column {column_id} is not on this board", field=path)
    if project_refs:
        known = await repo.board_project_ids(uow.conn, board_id)
        for path, project_id in project_refs:
            if project_id not in known:
                raise InvalidInput(f"project {project_id} is not on this board", field=path)


async def list_rules(board_id: str, user_id: str, uow: UnitOfWork) -> list[Row]:
    await owned_board(uow.conn, board_id, user_id)
    return await repo.board_rules(uow.conn, board_id)


async def get_rule(rule_id: str, user_id: str, uow: UnitOfWork) -> Row:
    return await _owned_rule(uow, rule_id, user_id)


async def create_rule(cmd: CreateRule, uow: UnitOfWork) -> Row:
    await owned_board(uow.conn, cmd.board_id, cmd.user_id)
    document = {"trigger": cmd.trigger, "conditions": cmd.conditions, "actions": cmd.actions}
    await _check_references(uow, cmd.board_id, document)
    now = utcnow()
    rule_id = new_id()
    await repo.insert_rule(
        uow.conn,
        {
            "id": rule_id, "board_id": cmd.board_id, "owner_id": cmd.user_id, "name": cmd.name,
            "description": cmd.description, "enabled": cmd.enabled, "priority": cmd.priority,
            **document, "created_at": now, "updated_at": now,
        },
    )  # fmt: skip
    row = await repo.rule_by_id(uow.conn, rule_id)
    await uow.commit()
    return row


async def update_rule(cmd: UpdateRule, uow: UnitOfWork) -> Row:
    rule = await _owned_rule(uow, cmd.rule_id, cmd.user_id)
    for name in REQUIRED:
        if name in cmd.changes and cmd.changes[name] is None:
            raise InvalidInput(f"{name} cannot be null", field=name)
    values = {k: v for k, v in cmd.changes.items() if k in (*REQUIRED, "description") and v != rule._mapping[k]}
    if not values:
        return rule
    await _check_references(
        uow, rule.board_id, {k: values.get(k, rule._mapping[k]) for k in ("trigger", "conditions", "actions")}
    )
    await repo.update_rule(uow.conn, rule.id, {**values, "updated_at": utcnow()})
    row = await repo.rule_by_id(uow.conn, rule.id)
    await uow.commit()
    return row


async def delete_rule(cmd: DeleteRule, uow: UnitOfWork) -> None:
    rule = await _owned_rule(uow, cmd.rule_id, cmd.user_id)
    await repo.delete_rule(uow.conn, rule.id)
    await uow.commit()

"""Rule commands: create, edit, delete, dry-run, run now, install a preset; and the run log.

The shapes are checked by the schemas; here, that every column, column type and project a rule
names is on the rule's own board. Rules are the board owner's configuration, not read by the
Worker, so they record no events; the changes they make to tasks do.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Row, select

from kanban.api.errors import InvalidInput, NotFound
from kanban.api.ownership import owned_board, owned_on_board
from kanban.api.rules import repository as repo
from kanban.api.rules.engine import RunOutcome, run_manually
from kanban.api.rules.model import CannotPlan, RuleSpec, conditions_hold, plan_actions, wip_refusal
from kanban.api.rules.presets import PRESETS_BY_KEY
from kanban.api.rules.scheduler import next_schedule_run
from kanban.api.rules.schemas import CreateRuleRequest, stored_document
from kanban.api.tables import boards, rules, tasks, users
from kanban.api.webhooks.repository import user_webhook_ids
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


def _column_type_refs(document: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(field path, column type) for every column type an action moves a task to."""
    implied = {"mark_done": "DONE", "archive": "ARCHIVE"}
    for i, action in enumerate(document.get("actions") or []):
        config = action.get("config") or {}
        if action["type"] in ("move_to_type", "create_task") and config.get("columnType"):
            yield f"actions.{i}.config.columnType", config["columnType"]
        elif action["type"] in implied:
            yield f"actions.{i}.type", implied[action["type"]]


def _webhook_refs(document: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for i, action in enumerate(document.get("actions") or []):
        config = action.get("config") or {}
        if action["type"] == "notify" and config.get("webhookId"):
            yield f"actions.{i}.config.webhookId", config["webhookId"]


async def _check_references(uow: UnitOfWork, board_id: str, document: dict[str, Any]) -> None:
    webhook_refs = list(_webhook_refs(document))
    if webhook_refs:
        owner = await uow.conn.scalar(select(boards.c.owner_id).where(boards.c.id == board_id))
        known = await user_webhook_ids(uow.conn, str(owner))
        for path, webhook_id in webhook_refs:
            if webhook_id not in known:
                raise InvalidInput(f"webhook {webhook_id} is not one of yours (GET /webhooks)", field=path)
    type_refs = list(_column_type_refs(document))
    if type_refs:
        present = {c.type for c in await repo.board_columns(uow.conn, board_id)}
        for path, column_type in type_refs:
            if column_type not in present:
                raise InvalidInput(f"the board has no {column_type} column", field=path)
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
            **document, "created_at": now, "updated_at": now, "next_run_at": _next_run(cmd.trigger, now, now),
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
    now = utcnow()
    if "trigger" in values:
        values["next_run_at"] = _next_run(values["trigger"], rule.created_at, now)
    if values.get("enabled") is True:
        # Enabling again is the owner's answer to a rule the engine disabled: it starts afresh.
        values.update(failure_count=0, disabled_reason=None)
    await repo.update_rule(uow.conn, rule.id, {**values, "updated_at": now})
    row = await repo.rule_by_id(uow.conn, rule.id)
    await uow.commit()
    return row


async def delete_rule(cmd: DeleteRule, uow: UnitOfWork) -> None:
    rule = await _owned_rule(uow, cmd.rule_id, cmd.user_id)
    await repo.delete_rule(uow.conn, rule.id)
    await uow.commit()


def _next_run(trigger: dict[str, Any], created_at: Any, now: Any) -> Any:
    return next_schedule_run(trigger, created_at, now) if trigger.get("type") == "schedule" else None


# --- the run log, dry-runs, manual runs, presets -----------------------------------------------


async def list_runs(rule_id: str, user_id: str, limit: int, offset: int, uow: UnitOfWork) -> tuple[list[Row], int]:
    rule = await _owned_rule(uow, rule_id, user_id)
    return await repo.rule_runs_page(uow.conn, rule.id, limit, offset)


@dataclass(frozen=True)
class DryRunTask:
    task_id: str
    title: str
    matches: bool
    reason: str | None
    changes: list[dict[str, Any]]


@dataclass(frozen=True)
class DryRun:
    rule_id: str
    board_changes: list[dict[str, Any]]
    tasks: list[DryRunTask]


DRY_RUN_LIMIT = 500


async def dry_run(rule_id: str, user_id: str, task_ids: list[str] | None, uow: UnitOfWork) -> DryRun:
    """Which tasks the rule's conditions match and what its actions would change; nothing is written."""
    return await _preview(RuleSpec.from_row(await _owned_rule(uow, rule_id, user_id)), task_ids, uow)


async def dry_run_draft(cmd: CreateRule, task_ids: list[str] | None, uow: UnitOfWork) -> DryRun:
    """The same preview for a rule not saved yet (an editor's "test before saving"); its references are checked."""
    await owned_board(uow.conn, cmd.board_id, cmd.user_id)
    document = {"trigger": cmd.trigger, "conditions": cmd.conditions, "actions": cmd.actions}
    await _check_references(uow, cmd.board_id, document)
    spec = RuleSpec(
        "draft", cmd.board_id, cmd.user_id, cmd.name, cmd.priority, cmd.trigger, cmd.conditions, cmd.actions
    )
    return await _preview(spec, task_ids, uow)


async def _preview(rule: RuleSpec, task_ids: list[str] | None, uow: UnitOfWork) -> DryRun:
    where = tasks.c.board_id == rule.board_id
    if task_ids is not None:
        where = where & tasks.c.id.in_(task_ids)
    views = await repo.task_views(uow.conn, where, limit=DRY_RUN_LIMIT)
    columns = await repo.board_columns(uow.conn, rule.board_id)
    now = utcnow()
    out: list[DryRunTask] = []
    board_changes: list[dict[str, Any]] = []
    try:
        board_changes = plan_actions(rule, None, columns, now).changes
    except CannotPlan as exc:
        board_changes = [{"error": str(exc)}]
    task_level = any(a.get("type") != "create_task" for a in rule.actions)
    for task in views if task_level else []:
        reason = conditions_hold(rule, task, now)
        if reason is not None:
            out.append(DryRunTask(task.id, task.title, False, reason, []))
            continue
        try:
            plan = plan_actions(rule, task, columns, now)
        except CannotPlan as exc:
            out.append(DryRunTask(task.id, task.title, True, str(exc), []))
            continue
        changes = [c for c in plan.changes if c.get("action") != "create_task"]
        out.append(DryRunTask(task.id, task.title, True, wip_refusal(plan, task), changes))
    await uow.rollback()
    return DryRun(rule.id, board_changes, out)


async def run_now(rule_id: str, user_id: str, task_ids: list[str], uow: UnitOfWork) -> list[tuple[str, RunOutcome]]:
    """The manual trigger: run the rule on the chosen tasks now (enabled or not), every run recorded."""
    rule = RuleSpec.from_row(await _owned_rule(uow, rule_id, user_id))
    if not task_ids:
        raise InvalidInput("choose at least one task to run the rule on", field="taskIds")
    outcomes = await run_manually(uow, rule, task_ids)
    await uow.commit()
    return outcomes


async def install_preset(board_id: str, key: str, user_id: str, uow: UnitOfWork) -> Row:
    preset = PRESETS_BY_KEY.get(key)
    if preset is None:
        raise NotFound(f"no preset '{key}'")
    trigger = dict(preset.trigger)
    if trigger["type"] == "schedule":
        # A preset's schedule is in the owner's time zone: "Friday 16:00" is their Friday afternoon.
        zone = await uow.conn.scalar(select(users.c.timezone).where(users.c.id == user_id))
        trigger["config"] = {**trigger["config"], "timezone": zone or "UTC"}
    # Through the request model, as a rule typed by hand: the stored document has the same shape.
    body = CreateRuleRequest.model_validate(
        {"name": preset.name, "description": preset.description, "trigger": trigger,
         "conditions": preset.conditions, "actions": preset.actions}
    )  # fmt: skip
    document = stored_document(body)
    cmd = CreateRule(user_id=user_id, board_id=board_id, name=body.name, description=body.description, **document)
    return await create_rule(cmd, uow)

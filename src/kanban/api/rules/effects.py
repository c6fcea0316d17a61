"""Carrying out a rule's plan through the commands a person's change goes through.

Field, tag and column changes are one `change_task` (WIP limits, history, version, event); a new
task is `add_task`; checklist items record a task change as the checklist routes do; a notification
is a digest item or a queued webhook delivery. Every history row says `rule:{id}`. Nothing here commits: the engine's unit of work does.
"""

from __future__ import annotations

from typing import Any

from kanban.api.checklists import repository as checklist_repo
from kanban.api.rules.model import CannotPlan, Plan, RuleSpec, TaskView, first_of_type
from kanban.api.rules.notifications import notify
from kanban.api.rules.repository import board_columns
from kanban.api.tables import recurring_templates
from kanban.api.tasks.handlers import CreateTask, UpdateTask, add_task, change_task
from kanban.api.tasks.schemas import CreateTaskRequest, UpdateTaskRequest
from kanban.api.tasks.state import add_task_event, record_task_change
from kanban.api.templates.scheduler import occurrence_request
from kanban.contracts.events import AnalysisRequestedV1
from kanban.db.types import new_id, utcnow
from kanban.messaging.unit_of_work import UnitOfWork


def rule_actor(rule_id: str) -> str:
    """How a rule's changes are signed in the task's history (`triggeredBy`)."""
    return f"rule:{rule_id}"


async def apply_plan(
    uow: UnitOfWork, rule: RuleSpec, task: TaskView | None, plan: Plan, run: dict[str, Any]
) -> list[str]:
    """Apply `plan` as the run `run`; returns the ids of the tasks it created. Raises the handlers' domain errors."""
    by = rule_actor(rule.id)
    if task is not None:
        await _change(uow, rule, task, plan, by)
        if plan.checklist:
            await _add_checklist(uow, task.id, plan.checklist, by)
        for text in plan.notes:
            await add_task_event(
                uow, task_id=task.id, board_id=task.board_id, kind="note", payload={"text": text}, triggered_by=by
            )
        if plan.analysis:
            uow.record(AnalysisRequestedV1(task_id=task.id, reason="rule"), aggregate_id=task.id)
        for config in plan.notifications:
            await notify(uow, rule, task, config, run)
    return [await _create(uow, rule, config, by) for config in plan.creates]


async def _change(uow: UnitOfWork, rule: RuleSpec, task: TaskView, plan: Plan, by: str) -> None:
    values: dict[str, Any] = dict(plan.fields)
    if plan.tags is not None:
        values["tags"] = plan.tags
    if plan.column is not None:
        values["column_id"] = plan.column.id
        if plan.position is not None:
            values["position"] = plan.position
    if not values:
        return
    # Built from our own validated values; wipOverride stays False: a rule never overrides a limit.
    body = UpdateTaskRequest(**values)
    await change_task(UpdateTask(user_id=rule.owner_id, task_id=task.id, body=body), uow, by=by)


async def _add_checklist(uow: UnitOfWork, task_id: str, items: list[str], by: str) -> None:
    order = [item.id for item in await checklist_repo.task_items(uow.conn, task_id)]
    now = utcnow()
    for title in items:
        item_id = new_id()
        await checklist_repo.insert_item(
            uow.conn,
            {"id": item_id, "task_id": task_id, "title": title, "is_done": False, "position": len(order),
             "created_at": now, "updated_at": now},
        )  # fmt: skip
        order.append(item_id)
    await record_task_change(
        uow, task_id, kind="updated", changed_fields=("checklist",), payload={"checklist": "added"}, triggered_by=by
    )


async def _create(uow: UnitOfWork, rule: RuleSpec, config: dict[str, Any], by: str) -> str:
    checklist = [str(i) for i in config.get("checklist") or []]
    if config.get("templateId"):
        template = (
            await uow.conn.execute(
                recurring_templates.select().where(
                    recurring_templates.c.id == config["templateId"], recurring_templates.c.board_id == rule.board_id
                )
            )
        ).first()
        if template is None:
            raise CannotPlan(f"template {config['templateId']} is not on this board")
        payload = dict(template.payload or {})
        body = occurrence_request(payload)
        if config.get("title"):
            body = body.model_copy(update={"title": config["title"]})
        checklist = checklist or [str(i) for i in payload.get("checklist") or []]
    else:
        body = CreateTaskRequest(title=str(config["title"]))
    if config.get("columnType"):
        column = first_of_type(await board_columns(uow.conn, rule.board_id), str(config["columnType"]))
        body = body.model_copy(update={"column_id": column.id})
    return await add_task(
        CreateTask(user_id=rule.owner_id, board_id=rule.board_id, body=body, source="rule"), uow, checklist=checklist,
        by=by,
    )  # fmt: skip

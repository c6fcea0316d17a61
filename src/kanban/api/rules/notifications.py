"""A rule's `notify` action: an item for the owner's next digest, or a delivery queued for a webhook.

Both are rows written in the rule run's own transaction (and savepoint), so a run that is rolled
back notifies nobody, and the run's claim (one per rule and event) makes it notify once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kanban.api.digest.repository import insert_rule_item
from kanban.api.rules.model import CannotPlan, RuleSpec, TaskView
from kanban.api.webhooks.delivery import new_delivery
from kanban.api.webhooks.repository import webhook_by_id
from kanban.db.types import new_id, utcnow
from kanban.messaging.unit_of_work import UnitOfWork


async def notify(uow: UnitOfWork, rule: RuleSpec, task: TaskView, config: dict[str, Any], run: dict[str, Any]) -> None:
    now, message = utcnow(), config.get("message")
    if config.get("channel") == "digest":
        await insert_rule_item(
            uow.conn,
            {"id": new_id(), "user_id": rule.owner_id, "task_id": task.id, "rule_id": rule.id,
             "rule_name": rule.name, "task_title": task.title, "message": message, "created_at": now},
        )  # fmt: skip
        return
    webhook = await webhook_by_id(uow.conn, str(config.get("webhookId")))
    if webhook is None or webhook.user_id != rule.owner_id:
        raise CannotPlan(f"webhook {config.get('webhookId')} no longer exists")
    await new_delivery(
        uow.conn, webhook_id=webhook.id, user_id=rule.owner_id, rule_id=rule.id, run_id=run["id"],
        payload=payload(rule, task, run, message, now), now=now,
    )  # fmt: skip


def payload(rule: RuleSpec, task: TaskView, run: dict[str, Any], message: str | None, now: datetime) -> dict[str, Any]:
    """What the receiver reads: the event (or time occurrence) that fired the rule, the rule, the task."""
    return {
        "createdAt": _iso(now),
        "event": {"id": run["event_id"] or run["trigger_key"], "type": run["event_type"],
                  "occurrenceAt": _iso(run["occurrence_at"])},
        "rule": {"id": rule.id, "name": rule.name, "runId": run["id"]},
        "message": message,
        "task": {
            "id": task.id, "boardId": task.board_id, "title": task.title, "columnId": task.column_id,
            "columnType": task.column_type, "context": task.context, "priority": task.priority,
            "dueAt": _iso(task.due_at), "tags": list(task.tags), "waitingFor": task.waiting_for,
            "isDone": task.is_done,
        },
    }  # fmt: skip


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None

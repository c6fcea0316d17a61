"""Clarifying the inbox: each decision sends a task to its GTD column atomically, WIP limits included.

"context" goes to the CONTEXT column named after the task's context ("@Email", "Email"), else to
Next actions; "next" goes to Next actions, the first CONTEXT column that is no context's lane.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, func, select, update

from kanban.api.clarify.schemas import ClarifyRequest, ClarifyResult, ClarifyStats, NextToClarify
from kanban.api.errors import Conflict, InvalidInput
from kanban.api.ownership import owned_board, owned_task
from kanban.api.tables import columns, task_events, tasks
from kanban.api.tasks import handlers as task_handlers
from kanban.api.tasks import repository as task_repo
from kanban.api.tasks.rules import DECISION_TARGET, lane_context
from kanban.api.tasks.state import add_task_event, record_task_change
from kanban.db.async_core import AsyncConnection
from kanban.db.types import utcnow
from kanban.messaging.unit_of_work import UnitOfWork

FIELDS = ("context", "priority", "duration_minutes", "project_id", "waiting_for")


@dataclass(frozen=True)
class ClarifyTask:
    user_id: str
    task_id: str
    body: ClarifyRequest


def next_actions_column(board_columns: list[Row[Any]]) -> Row[Any] | None:
    contexts = [c for c in board_columns if c.type == "CONTEXT"]
    plain = [c for c in contexts if lane_context(c.name) is None]
    found = plain or contexts
    return found[0] if found else None


def target_for(decision: str, context: str | None, board_columns: list[Row[Any]]) -> Row[Any]:
    wanted = DECISION_TARGET[decision]
    target: Row[Any] | None = None
    if decision == "context":
        lanes = [c for c in board_columns if c.type == "CONTEXT" and lane_context(c.name) == context]
        target = lanes[0] if lanes else next_actions_column(board_columns)
    elif decision == "next":
        target = next_actions_column(board_columns)
    else:
        target = next((c for c in board_columns if c.type == wanted), None)
    if target is None:
        raise Conflict(f"the board has no {wanted} column for the decision '{decision}'")
    return target


def _validate(body: ClarifyRequest, task: Row[Any]) -> None:
    if body.decision == "waiting" and not (body.waiting_for or task.waiting_for):
        raise InvalidInput("the 'waiting' decision needs waitingFor", field="waitingFor")
    if body.decision == "context" and not (body.context or task.context):
        raise InvalidInput("the 'context' decision needs a context", field="context")


async def clarify_task(cmd: ClarifyTask, uow: UnitOfWork) -> ClarifyResult:
    conn, body, now = uow.conn, cmd.body, utcnow()
    task = await owned_task(conn, cmd.task_id, cmd.user_id)
    await owned_board(conn, task.board_id, cmd.user_id, for_update=True)
    task = await owned_task(conn, cmd.task_id, cmd.user_id)
    _validate(body, task)
    by = task_handlers.triggered_by(cmd.user_id)
    if body.decision == "trash":
        await add_task_event(
            uow,
            task_id=task.id,
            board_id=task.board_id,
            kind="clarified",
            payload={"decision": "trash"},
            triggered_by=by,
        )
        await task_handlers.remove_task(uow, task, by, {"decision": "trash"})
        await uow.commit()
        return ClarifyResult(decision="trash", task=None)
    await task_handlers.check_project(conn, task.board_id, body.project_id)
    changes: dict[str, tuple[Any, Any]] = {}
    for field in FIELDS:
        new = getattr(body, field)
        if new is not None and getattr(task, field) != new:
            changes[field] = (getattr(task, field), new)
    board_columns = await task_repo.board_columns(conn, task.board_id)
    source = next(c for c in board_columns if c.id == task.column_id)
    chosen = target_for(body.decision, body.context or task.context, board_columns)
    # Lock the target column before the task's row is written: the one lock order (board, column, task).
    target = await task_handlers.target_column(conn, task.board_id, chosen.id)
    placement = await task_handlers.place_task(
        conn, task, source, target, position=None, override=body.wip_override, now=now
    )
    await conn.execute(
        update(tasks)
        .where(tasks.c.id == task.id)
        .values({**{f: n for f, (_, n) in changes.items()}, "clarified_at": now})
    )
    if placement.column_changed:
        changes["column_id"] = (source.id, target.id)
    payload = {
        "decision": body.decision,
        **task_handlers.change_payload(changes),
        "wipOverride": placement.override_used,
    }
    await record_task_change(
        uow,
        task.id,
        kind="clarified",
        changed_fields=[*changes, "clarified_at"],
        payload=payload,
        triggered_by=by,
        from_column_id=source.id,
        to_column_id=target.id,
        from_column_type=source.type,
        to_column_type=target.type,
    )
    await task_handlers.log_transition(uow, task, placement, by)
    out = await task_repo.load_task(conn, task.id)
    await uow.commit()
    return ClarifyResult(decision=body.decision, task=out)


def _unclarified_inbox(board_id: str) -> Any:
    return task_repo.tasks_with_column().where(
        tasks.c.board_id == board_id, columns.c.type == "INPUT", tasks.c.clarified_at.is_(None)
    )


async def next_to_clarify(conn: AsyncConnection, board_id: str) -> NextToClarify:
    remaining = int(
        (
            await conn.execute(
                select(func.count())
                .select_from(tasks.join(columns, columns.c.id == tasks.c.column_id))
                .where(tasks.c.board_id == board_id, columns.c.type == "INPUT", tasks.c.clarified_at.is_(None))
            )
        ).scalar_one()
    )
    row = (await conn.execute(_unclarified_inbox(board_id).order_by(tasks.c.created_at, tasks.c.id).limit(1))).first()
    if row is None:
        return NextToClarify(task=None, remaining=0)
    return NextToClarify(task=(await task_repo.hydrate(conn, [row], [row.id]))[0], remaining=remaining)


def week_start(now: datetime) -> datetime:
    """Monday 00:00 UTC of the current week."""
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday())


async def clarify_stats(conn: AsyncConnection, board_id: str) -> ClarifyStats:
    now = utcnow()
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    inbox = select(tasks.c.clarified_at).join(columns, columns.c.id == tasks.c.column_id)
    inbox_rows = (await conn.execute(inbox.where(tasks.c.board_id == board_id, columns.c.type == "INPUT"))).all()
    clarified = (
        await conn.execute(
            select(task_events.c.payload, task_events.c.created_at).where(
                task_events.c.board_id == board_id, task_events.c.type == "clarified"
            )
        )
    ).all()
    by_decision: dict[str, int] = {}
    for event in clarified:
        decision = str((event.payload or {}).get("decision", "unknown"))
        by_decision[decision] = by_decision.get(decision, 0) + 1
    return ClarifyStats(
        inbox_count=len(inbox_rows),
        unclarified_count=sum(1 for r in inbox_rows if r.clarified_at is None),
        clarified_today=sum(1 for e in clarified if e.created_at >= today),
        clarified_this_week=sum(1 for e in clarified if e.created_at >= week_start(now)),
        by_decision=by_decision,
    )

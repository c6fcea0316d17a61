"""The rule engine: runs a board's rules on a task event, a time occurrence or a manual request.

Each run is claimed by inserting its row, unique per (rule, trigger key), so whatever delivers the
trigger twice (a redelivered event, two schedulers) the rule acts once. Its actions go through the
task commands in a savepoint of the caller's unit of work: a WIP refusal or a domain error rolls
back that rule's changes only and is recorded as `refused` or `failed`. Loops are cut two ways: a
rule never reacts to an event it caused, and a chain stops at MAX_CHAIN_DEPTH.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select

from kanban.api.errors import DomainError, WipLimitReached
from kanban.api.rules import repository as repo
from kanban.api.rules.effects import apply_plan
from kanban.api.rules.model import (
    MAX_CHAIN_DEPTH,
    CannotPlan,
    Column,
    RuleSpec,
    TaskEventFacts,
    TaskView,
    conditions_hold,
    plan_actions,
    trigger_matches,
    wip_refusal,
)
from kanban.api.rules.schemas import EVENT_TRIGGERS
from kanban.api.tables import task_events
from kanban.contracts import events as ev
from kanban.contracts.base import Event
from kanban.contracts.envelope import Envelope
from kanban.db.types import new_id, utcnow
from kanban.messaging.unit_of_work import UnitOfWork

Publish = Callable[[list[Envelope]], None]


def _no_publish(_: list[Envelope]) -> None:
    return None


@dataclass(frozen=True)
class Occurrence:
    """What fired a run: its dedupe key, the event or time it stands for, and its depth in a chain."""

    key: str
    depth: int = 1
    event_id: str | None = None
    event_type: str | None = None
    occurrence_at: datetime | None = None


@dataclass(frozen=True)
class RunOutcome:
    status: str  # applied | no_match | refused | failed | skipped | duplicate
    changes: list[dict[str, Any]]
    reason: str | None = None
    created: tuple[str, ...] = ()


def run_row(
    rule: RuleSpec, task: TaskView | None, occ: Occurrence, status: str, detail: dict[str, Any]
) -> dict[str, Any]:
    """The run log row of one run."""
    return {
        "id": new_id(), "rule_id": rule.id, "board_id": rule.board_id, "trigger_key": occ.key[:200],
        "event_id": occ.event_id, "event_type": occ.event_type, "task_id": task.id if task else None,
        "occurrence_at": occ.occurrence_at, "status": status, "depth": occ.depth, "detail": detail,
        "created_at": utcnow(),
    }  # fmt: skip


async def run_rule(
    uow: UnitOfWork,
    rule: RuleSpec,
    task: TaskView | None,
    occ: Occurrence,
    columns: list[Column],
    *,
    now: datetime,
    publish: Publish = _no_publish,
    no_matches: list[dict[str, Any]] | None = None,
) -> RunOutcome:
    """Evaluate, plan and apply one rule on one task (or on the board when `task` is None); record the run.

    A run whose conditions do not hold is added to `no_matches` (the caller logs them in one
    statement), or not logged when that is None.
    """
    conn = uow.conn
    if task is not None:
        reason = conditions_hold(rule, task, now)
        if reason is not None:
            if no_matches is not None:
                no_matches.append(run_row(rule, task, occ, "no_match", {"reason": reason}))
            return RunOutcome("no_match", [], reason)
    try:
        plan = plan_actions(rule, task, columns, now)
    except CannotPlan as exc:
        return await _finish(uow, rule, task, occ, "failed", [], str(exc), now)
    refusal = wip_refusal(plan, task) if task is not None else None
    if refusal is not None:
        return await _finish(uow, rule, task, occ, "refused", plan.changes, refusal, now)
    if plan.empty:
        return await _finish(uow, rule, task, occ, "skipped", [], "nothing to change", now)
    run = run_row(rule, task, occ, "applied", {"changes": plan.changes})
    if not await repo.claim_run(conn, run):
        return RunOutcome("duplicate", [], "already run for this trigger")
    mark = uow.mark()
    try:
        async with conn.begin_nested():
            created = await apply_plan(uow, rule, task, plan, run)
    except WipLimitReached as exc:
        uow.rewind(mark)
        return await _settle(uow, rule, run["id"], "refused", plan.changes, f"refused by WIP: {exc.detail}", now)
    except (DomainError, CannotPlan, ValidationError) as exc:
        uow.rewind(mark)
        detail = exc.detail if isinstance(exc, DomainError) else str(exc)
        return await _settle(uow, rule, run["id"], "failed", plan.changes, detail, now)
    recorded = uow.recorded_since(mark)
    if not (recorded or plan.notes or plan.notifications):
        # The handlers found nothing to change (the task was already so): not an action taken.
        return await _settle(uow, rule, run["id"], "skipped", [], "nothing to change", now)
    await repo.insert_origins(conn, [env.key for env in recorded], rule.id, occ.depth)
    if created:
        await repo.update_run(conn, run["id"], {"detail": {"changes": plan.changes, "createdTaskIds": created}})
    await repo.record_outcome(conn, rule.id, failed=None, now=now)
    uow.after_commit(lambda: publish(recorded))
    return RunOutcome("applied", plan.changes, None, tuple(created))


async def _finish(
    uow: UnitOfWork, rule: RuleSpec, task: TaskView | None, occ: Occurrence, status: str,
    changes: list[dict[str, Any]], reason: str, now: datetime,
) -> RunOutcome:  # fmt: skip
    if not await repo.claim_run(uow.conn, run_row(rule, task, occ, status, {"changes": changes, "reason": reason})):
        return RunOutcome("duplicate", [], "already run for this trigger")
    if status == "failed":
        await repo.record_outcome(uow.conn, rule.id, failed=reason, now=now)
    return RunOutcome(status, changes, reason)


async def _settle(
    uow: UnitOfWork, rule: RuleSpec, run_id: str, status: str, changes: list[dict[str, Any]], reason: str,
    now: datetime,
) -> RunOutcome:  # fmt: skip
    await repo.update_run(uow.conn, run_id, {"status": status, "detail": {"changes": changes, "reason": reason}})
    if status == "failed":
        await repo.record_outcome(uow.conn, rule.id, failed=reason, now=now)
    return RunOutcome(status, changes, reason)


# --- task events --------------------------------------------------------------------------------


async def on_task_event(event: Event, envelope: Envelope, uow: UnitOfWork, publish: Publish = _no_publish) -> None:
    """Run the board's event-triggered rules on one committed task event (inside the inbox's transaction)."""
    assert isinstance(event, ev.TaskCreatedV1 | ev.TaskUpdatedV1 | ev.TaskMovedV1)
    conn, state = uow.conn, event.task
    specs = [
        RuleSpec.from_row(r)
        for r in await repo.enabled_rules(conn, state.board_id)
        if isinstance(r.trigger, dict) and r.trigger.get("type") in EVENT_TRIGGERS
    ]
    if not specs:
        return
    task = await repo.task_view(conn, state.task_id)
    if task is None:
        return  # deleted since: nothing to act on
    origin = await repo.event_origin(conn, envelope.key)
    depth = 1 + (origin.depth if origin is not None else 0)
    columns = await repo.board_columns(conn, state.board_id)
    facts = await _facts(uow, event, columns, task)
    occ = Occurrence(key=envelope.key, depth=depth, event_id=envelope.key, event_type=envelope.type)
    now = utcnow()
    quiet: list[dict[str, Any]] = []  # runs that did nothing (no match, chain cap): logged in one statement
    try:
        await _run_all(uow, specs, origin, facts, task, columns, occ, now, publish, quiet)
    finally:
        await repo.log_runs(conn, quiet)


async def _run_all(
    uow: UnitOfWork, specs: list[RuleSpec], origin: Any, facts: TaskEventFacts, task: TaskView,
    columns: list[Column], occ: Occurrence, now: datetime, publish: Publish, quiet: list[dict[str, Any]],
) -> None:  # fmt: skip
    conn, depth = uow.conn, occ.depth
    for rule in specs:
        if origin is not None and origin.rule_id == rule.id:
            continue  # a rule never reacts to its own change
        if not trigger_matches(rule, facts, task):
            continue
        if depth > MAX_CHAIN_DEPTH:
            reason = f"chain depth cap reached ({MAX_CHAIN_DEPTH} rules in a row)"
            quiet.append(run_row(rule, task, occ, "skipped", {"reason": reason}))
            continue
        outcome = await run_rule(uow, rule, task, occ, columns, now=now, publish=publish, no_matches=quiet)
        if outcome.status == "applied":
            # Later rules see what this one did, as a person's next change would.
            reread = await repo.task_view(conn, task.id)
            if reread is None:
                return
            task, columns = reread, await repo.board_columns(conn, task.board_id)


async def _facts(uow: UnitOfWork, event: Event, columns: list[Column], task: TaskView) -> TaskEventFacts:
    types = {c.id: c.type for c in columns}
    if isinstance(event, ev.TaskCreatedV1):
        col = event.task.column_id
        return TaskEventFacts("created", to_column_id=col, to_column_type=types.get(col, event.task.column_type))
    if isinstance(event, ev.TaskMovedV1):
        from_type, to_type = types.get(event.from_column_id), types.get(event.to_column_id, event.task.column_type)
        done_flag = {"is_done", "completed_at"} if (from_type == "DONE") != (to_type == "DONE") else set()
        return TaskEventFacts(
            "moved", frozenset({"column_id", "position", *done_flag}), event.from_column_id, from_type, event.to_column_id, to_type
        )  # fmt: skip
    assert isinstance(event, ev.TaskUpdatedV1)
    fields = frozenset(event.changed_fields)
    completed = "checklist" in fields and task.checklist_total > 0 and task.checklist_done == task.checklist_total
    if "column_id" in fields:
        # A change that also moved the task (an edit with a new column, clarify): a move too.
        source = await _source_column(uow, event)
        return TaskEventFacts(
            "moved", fields, source, types.get(source or ""), event.task.column_id,
            types.get(event.task.column_id, event.task.column_type), completed,
        )  # fmt: skip
    return TaskEventFacts("updated", fields, checklist_completed=completed)


async def _source_column(uow: UnitOfWork, event: ev.TaskUpdatedV1) -> str | None:
    """Where the task came from, read from the history row its change wrote."""
    row = await uow.conn.scalar(
        select(task_events.c.from_column_id)
        .where(task_events.c.task_id == event.task.task_id, task_events.c.to_column_id == event.task.column_id)
        .order_by(task_events.c.created_at.desc())
        .limit(1)
    )
    return str(row) if row is not None else None


# --- manual runs and dry-runs -------------------------------------------------------------------


async def run_manually(
    uow: UnitOfWork, rule: RuleSpec, task_ids: Sequence[str], publish: Publish = _no_publish
) -> list[tuple[str, RunOutcome]]:
    """Run the rule now on the chosen tasks (conditions still apply); each request is its own occurrence."""
    request = new_id()
    now = utcnow()
    out: list[tuple[str, RunOutcome]] = []
    quiet: list[dict[str, Any]] = []
    for task_id in task_ids:
        task = await repo.task_view(uow.conn, task_id)
        if task is None or task.board_id != rule.board_id:
            out.append((task_id, RunOutcome("skipped", [], "no such task on the rule's board")))
            continue
        columns = await repo.board_columns(uow.conn, rule.board_id)
        occ = Occurrence(key=f"manual:{request}:{task_id}", event_type="manual")
        out.append((task_id, await run_rule(uow, rule, task, occ, columns, now=now, publish=publish, no_matches=quiet)))
    await repo.log_runs(uow.conn, quiet)
    return out

"""Time triggers: due soon, overdue, not moved for N days, and schedules (the templates' RRULE subset).

One scheduler is active per API database (a lease, like the template scheduler). Whatever the
number of replicas or instances, an occurrence fires once: a task occurrence is claimed by its run
row (unique per rule and key: the task and its due date or last move), and a schedule occurrence
by moving the rule's `next_run_at` forward in the transaction that runs it, backed by the same
unique run row.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, select, update

from kanban.api.digest.repository import prune_rule_items
from kanban.api.rules import repository as repo
from kanban.api.rules.engine import Occurrence, Publish, run_row, run_rule
from kanban.api.rules.model import RuleSpec
from kanban.api.rules.schemas import BOARD_ACTIONS, TIME_TRIGGERS
from kanban.api.tables import columns, rules, tasks
from kanban.api.templates.rrule import InvalidRecurrence, next_occurrence
from kanban.contracts.envelope import Envelope
from kanban.db.async_core import AsyncEngine
from kanban.db.engine import read_only_connection
from kanban.db.types import utcnow
from kanban.messaging.lease import Lease, run_rounds_while_leased
from kanban.messaging.unit_of_work import UnitOfWork

ORIGIN_RETENTION = timedelta(days=7)
# A digest item of a `notify` action that no digest carried within this long is dropped.
DIGEST_ITEM_RETENTION = timedelta(days=14)


@dataclass(frozen=True)
class RuleSchedulerConfig:
    poll_seconds: float = 30.0
    tasks_per_round: int = 200


def next_schedule_run(trigger: dict[str, Any], created_at: datetime, after: datetime) -> datetime | None:
    """The next occurrence of a `schedule` trigger after `after` (None when it has ended or cannot step)."""
    config = trigger.get("config") or {}
    try:
        return next_occurrence(str(config.get("rrule")), str(config.get("timezone") or "UTC"), after, start=created_at)
    except InvalidRecurrence:
        return None


def _task_scope(rule: RuleSpec, now: datetime) -> tuple[ColumnElement[Any], list[ColumnElement[bool]]] | None:
    """The occurrence column and the SQL filter of the tasks a task time trigger fires on now."""
    config = rule.config
    where: list[ColumnElement[bool]] = [tasks.c.board_id == rule.board_id]
    match rule.trigger_type:
        case "task.due_soon":
            days = int(config.get("withinDays", 0))
            where += [tasks.c.due_at > now, tasks.c.due_at <= now + timedelta(days=days), tasks.c.is_done.is_(False)]
            return tasks.c.due_at, where
        case "task.overdue":
            where += [tasks.c.due_at <= now, tasks.c.is_done.is_(False)]
            return tasks.c.due_at, where
        case "task.idle":
            where.append(tasks.c.last_moved_at <= now - timedelta(days=int(config.get("days", 1))))
            if config.get("columnType"):
                where.append(columns.c.type == config["columnType"])
            if config.get("columnId"):
                where.append(tasks.c.column_id == config["columnId"])
            return tasks.c.last_moved_at, where
    return None


async def run_time_triggers(
    engine: AsyncEngine,
    new_unit_of_work: Callable[[], UnitOfWork],
    now: datetime | None = None,
    publish: Publish | None = None,
    config: RuleSchedulerConfig = RuleSchedulerConfig(),
) -> int:
    """Fire every time occurrence due by `now`; returns how many runs applied changes."""
    now = now or utcnow()
    async with read_only_connection(engine) as conn:
        specs = [RuleSpec.from_row(r) for r in await repo.rules_with_trigger(conn, sorted(TIME_TRIGGERS))]
        cursors = await conn.execute(select(rules.c.id, rules.c.next_run_at, rules.c.created_at))
        stored_next = {r.id: (r.next_run_at, r.created_at) for r in cursors}
        await conn.rollback()
    applied = 0
    for rule in specs:
        if rule.trigger_type == "schedule":
            next_at, created_at = stored_next.get(rule.id, (None, now))
            applied += await _run_schedule(new_unit_of_work, rule, next_at, created_at, now, publish)
        else:
            applied += await _run_task_trigger(new_unit_of_work, rule, now, publish, config.tasks_per_round)
    async with new_unit_of_work() as uow:
        await repo.prune(uow.conn, now - ORIGIN_RETENTION)
        await prune_rule_items(uow.conn, now - DIGEST_ITEM_RETENTION)
        await uow.commit()
    return applied


async def _run_task_trigger(
    new_unit_of_work: Callable[[], UnitOfWork], rule: RuleSpec, now: datetime, publish: Publish | None, limit: int
) -> int:
    scope = _task_scope(rule, now)
    if scope is None:
        return 0
    occurrence, where = scope
    applied = 0
    async with new_unit_of_work() as uow:
        views = await repo.task_views(uow.conn, and_(repo.not_yet_run(rule.id, occurrence), *where), limit=limit)
        if not views:
            return 0
        board = await repo.board_columns(uow.conn, rule.board_id)
        for task in views:
            at = task.due_at if rule.trigger_type != "task.idle" else task.last_moved_at
            occ = Occurrence(
                key=f"{rule.trigger_type}:{task.id}:{at.isoformat() if at else ''}", event_type=rule.trigger_type,
                occurrence_at=at,
            )  # fmt: skip
            # A task that does not match yet is looked at again next round: it may come to match.
            outcome = await run_rule(uow, rule, task, occ, board, now=now, publish=publish or _ignore)
            if outcome.status == "applied":
                applied += 1
                board = await repo.board_columns(uow.conn, rule.board_id)
        await uow.commit()
    return applied


async def _run_schedule(
    new_unit_of_work: Callable[[], UnitOfWork], rule: RuleSpec, next_at: datetime | None, created_at: datetime,
    now: datetime, publish: Publish | None,
) -> int:  # fmt: skip
    async with new_unit_of_work() as uow:
        if next_at is None:
            # A rule migrated or enabled without a cursor starts at its next occurrence; nothing is replayed.
            following = next_schedule_run(rule.trigger, created_at, now)
            await uow.conn.execute(
                update(rules).where(rules.c.id == rule.id, rules.c.next_run_at.is_(None)).values(next_run_at=following)
            )
            await uow.commit()
            return 0
        if next_at > now:
            return 0
        stmt = select(rules.c.next_run_at).where(rules.c.id == rule.id, rules.c.next_run_at == next_at)
        if uow.conn.dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        if (await uow.conn.execute(stmt)).first() is None:
            return 0  # taken by another instance meanwhile
        # Missed occurrences are not replayed one by one: the rule fires once, then moves past now.
        following = next_schedule_run(rule.trigger, created_at, now)
        await uow.conn.execute(update(rules).where(rules.c.id == rule.id).values(next_run_at=following))
        applied = await _fire_schedule(uow, rule, next_at, now, publish or _ignore)
        await uow.commit()
    return applied


async def _fire_schedule(uow: UnitOfWork, rule: RuleSpec, at: datetime, now: datetime, publish: Publish) -> int:
    key = f"schedule:{at.isoformat()}"
    board = await repo.board_columns(uow.conn, rule.board_id)
    applied = 0
    occ = Occurrence(key=key, event_type="schedule", occurrence_at=at)
    if any(a.get("type") in BOARD_ACTIONS for a in rule.actions):
        outcome = await run_rule(uow, rule, None, occ, board, now=now, publish=publish)
        applied += outcome.status == "applied"
    elif not rule.conditions:
        reason = "a schedule rule acts on the tasks its conditions select, and this one has no condition"
        await repo.claim_run(uow.conn, run_row(rule, None, occ, "skipped", {"reason": reason}))
    if rule.conditions:
        for task in await repo.task_views(uow.conn, tasks.c.board_id == rule.board_id):
            occ = Occurrence(key=f"{key}:{task.id}", event_type="schedule", occurrence_at=at)
            outcome = await run_rule(uow, rule, task, occ, board, now=now, publish=publish)
            if outcome.status == "applied":
                applied += 1
                board = await repo.board_columns(uow.conn, rule.board_id)
    return applied


def _ignore(_: list[Envelope]) -> None:
    return None


class RuleScheduler:
    def __init__(
        self, engine: AsyncEngine, new_unit_of_work: Callable[[], UnitOfWork], lease: Lease,
        publish: Publish | None = None, config: RuleSchedulerConfig = RuleSchedulerConfig(),
    ) -> None:  # fmt: skip
        self._engine = engine
        self._new_uow = new_unit_of_work
        self._lease = lease
        self._publish = publish
        self._config = config

    async def run(self, stop: asyncio.Event) -> None:
        await run_rounds_while_leased(
            stop, self._lease, self._config.poll_seconds,
            lambda: run_time_triggers(self._engine, self._new_uow, publish=self._publish, config=self._config),
        )  # fmt: skip

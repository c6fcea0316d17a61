"""Reads and writes of rules, and the ids a rule may refer to; SQL only, no rules of its own."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, delete, exists, func, insert, select, update

from kanban.api.rules.model import MAX_FAILURES, Column, TaskView
from kanban.api.tables import (
    boards,
    columns,
    projects,
    rule_event_origins,
    rule_runs,
    rules,
    tags,
    task_tags,
    tasks,
)
from kanban.api.tasks.repository import checklist_counts
from kanban.api.tasks.rules import BoardSettings
from kanban.db.async_core import AsyncConnection
from kanban.db.types import utcnow
from kanban.messaging.sql import insert_ignoring_duplicates


async def rule_by_id(conn: AsyncConnection, rule_id: str) -> Row:
    return (await conn.execute(select(rules).where(rules.c.id == rule_id))).one()


async def board_rules(conn: AsyncConnection, board_id: str) -> list[Row]:
    stmt = select(rules).where(rules.c.board_id == board_id).order_by(rules.c.priority, rules.c.created_at, rules.c.id)
    return list((await conn.execute(stmt)).all())


async def board_column_ids(conn: AsyncConnection, board_id: str) -> set[str]:
    return set((await conn.execute(select(columns.c.id).where(columns.c.board_id == board_id))).scalars())


async def board_project_ids(conn: AsyncConnection, board_id: str) -> set[str]:
    return set((await conn.execute(select(projects.c.id).where(projects.c.board_id == board_id))).scalars())


async def insert_rule(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await conn.execute(insert(rules).values(**values))


async def update_rule(conn: AsyncConnection, rule_id: str, values: dict[str, Any]) -> None:
    await conn.execute(update(rules).where(rules.c.id == rule_id).values(**values))


async def delete_rule(conn: AsyncConnection, rule_id: str) -> None:
    await conn.execute(delete(rules).where(rules.c.id == rule_id))


# --- the engine's reads and writes -------------------------------------------------------------


def board_has_enabled_rule(board_id: ColumnElement[str]) -> ColumnElement[bool]:
    """True while the board has an enabled rule, as a condition for the statement that needs it."""
    return exists().where(rules.c.board_id == board_id, rules.c.enabled.is_(True))


async def enabled_rules(conn: AsyncConnection, board_id: str) -> list[Row]:
    stmt = (
        select(rules)
        .where(rules.c.board_id == board_id, rules.c.enabled.is_(True))
        .order_by(rules.c.priority, rules.c.created_at, rules.c.id)
    )
    return list((await conn.execute(stmt)).all())


async def task_views(conn: AsyncConnection, where: ColumnElement[bool], limit: int | None = None) -> list[TaskView]:
    """Tasks as conditions read them, in three statements whatever their number."""
    stmt = (
        select(tasks, columns.c.type.label("column_type"), boards.c.config.label("board_config"))
        .join(columns, columns.c.id == tasks.c.column_id)
        .join(boards, boards.c.id == tasks.c.board_id)
        .where(where)
        .order_by(columns.c.position, tasks.c.position, tasks.c.id)
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    rows = (await conn.execute(stmt)).all()
    if not rows:
        return []
    ids = [r.id for r in rows]
    tag_names: dict[str, list[str]] = defaultdict(list)
    for task_id, name in await conn.execute(
        select(task_tags.c.task_id, tags.c.name)
        .join(tags, tags.c.id == task_tags.c.tag_id)
        .where(task_tags.c.task_id.in_(ids))
        .order_by(tags.c.name_key)
    ):
        tag_names[task_id].append(name)
    progress = await checklist_counts(conn, ids)
    views = []
    for r in rows:
        m = r._mapping
        total, done = progress.get(m["id"], (0, 0))
        views.append(
            TaskView(
                id=m["id"], board_id=m["board_id"], owner_id=m["owner_id"], column_id=m["column_id"],
                column_type=m["column_type"], title=m["title"], description=m["description"], context=m["context"],
                priority=m["priority"], project_id=m["project_id"], tags=tuple(tag_names.get(m["id"], ())),
                due_at=m["due_at"], duration_minutes=m["duration_minutes"], is_done=bool(m["is_done"]),
                needs_breakdown=bool(m["needs_breakdown"]), waiting_for=m["waiting_for"], created_at=m["created_at"],
                last_moved_at=m["last_moved_at"], position=m["position"], source=m["source"],
                checklist_total=total, checklist_done=done,
                stale_after_days=BoardSettings.from_config(m["board_config"]).stale_after_days,
            )
        )  # fmt: skip
    return views


async def task_view(conn: AsyncConnection, task_id: str) -> TaskView | None:
    found = await task_views(conn, tasks.c.id == task_id)
    return found[0] if found else None


async def board_columns(conn: AsyncConnection, board_id: str) -> list[Column]:
    """The board's columns with how many tasks each holds (for WIP checks in plans and dry-runs)."""
    counts = (
        select(tasks.c.column_id, func.count().label("n"))
        .where(tasks.c.board_id == board_id)
        .group_by(tasks.c.column_id)
        .subquery()
    )
    rows = await conn.execute(
        select(columns, func.coalesce(counts.c.n, 0).label("n"))
        .outerjoin(counts, counts.c.column_id == columns.c.id)
        .where(columns.c.board_id == board_id)
        .order_by(columns.c.position, columns.c.created_at)
    )
    return [Column(r.id, r.name, r.type, r.position, r.wip_limit, int(r.n)) for r in rows]


async def event_origin(conn: AsyncConnection, event_id: str) -> Row | None:
    return (await conn.execute(select(rule_event_origins).where(rule_event_origins.c.event_id == event_id))).first()


async def insert_origins(conn: AsyncConnection, event_ids: Sequence[str], rule_id: str, depth: int) -> None:
    if event_ids:
        now = utcnow()
        await conn.execute(
            insert(rule_event_origins),
            [{"event_id": e, "rule_id": rule_id, "depth": depth, "created_at": now} for e in event_ids],
        )


async def claim_run(conn: AsyncConnection, values: dict[str, Any]) -> bool:
    """Insert a run unless one exists for (rule, trigger key): the claim that makes a time trigger fire once."""
    result = await conn.execute(insert_ignoring_duplicates(conn, rule_runs), values)
    return bool(result.rowcount)


async def log_runs(conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    """Log runs that changed nothing, in one statement (a redelivered trigger logs nothing twice)."""
    if rows:
        await conn.execute(insert_ignoring_duplicates(conn, rule_runs), rows)


async def update_run(conn: AsyncConnection, run_id: str, values: dict[str, Any]) -> None:
    await conn.execute(update(rule_runs).where(rule_runs.c.id == run_id).values(**values))


async def rule_runs_page(conn: AsyncConnection, rule_id: str, limit: int, offset: int) -> tuple[list[Row], int]:
    where = rule_runs.c.rule_id == rule_id
    total = int((await conn.execute(select(func.count()).select_from(rule_runs).where(where))).scalar_one())
    rows = await conn.execute(
        select(rule_runs).where(where).order_by(rule_runs.c.created_at.desc(), rule_runs.c.id.desc())
        .limit(limit).offset(offset)
    )  # fmt: skip
    return list(rows.all()), total


async def record_outcome(conn: AsyncConnection, rule_id: str, *, failed: str | None, now: datetime) -> None:
    """Count a failure (disabling the rule at the limit, with the reason) or note a successful run."""
    if failed is None:
        await conn.execute(update(rules).where(rules.c.id == rule_id).values(last_run_at=now, failure_count=0))
        return
    await conn.execute(update(rules).where(rules.c.id == rule_id).values(failure_count=rules.c.failure_count + 1))
    await conn.execute(
        update(rules)
        .where(rules.c.id == rule_id, rules.c.failure_count >= MAX_FAILURES)
        .values(
            enabled=False, disabled_reason=f"disabled after {MAX_FAILURES} failed runs in a row; last: {failed}"[:2000]
        )
    )


async def due_schedule_rules(conn: AsyncConnection, now: datetime) -> list[str]:
    stmt = select(rules.c.id).where(
        rules.c.enabled.is_(True), rules.c.next_run_at.is_not(None), rules.c.next_run_at <= now
    )
    return list((await conn.execute(stmt)).scalars())


async def rules_with_trigger(conn: AsyncConnection, types: Sequence[str]) -> list[Row]:
    """Enabled rules whose trigger is one of `types` (the JSON is read in Python: both dialects alike)."""
    rows = (await conn.execute(select(rules).where(rules.c.enabled.is_(True)))).all()
    return [r for r in rows if isinstance(r.trigger, dict) and r.trigger.get("type") in types]


def not_yet_run(rule_id: str, occurrence: ColumnElement[Any]) -> ColumnElement[bool]:
    """No run of this rule yet on this task for this occurrence (the task's due date, its last move)."""
    return ~exists().where(
        rule_runs.c.rule_id == rule_id, rule_runs.c.task_id == tasks.c.id, rule_runs.c.occurrence_at == occurrence
    )


async def prune(conn: AsyncConnection, before: datetime) -> None:
    await conn.execute(delete(rule_event_origins).where(rule_event_origins.c.created_at < before))

"""Reads and writes of hints; SQL only, no rules."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from functools import cache
from typing import Any

from sqlalchemy import BindParameter, Row, Select, bindparam, func, select, update

from kanban.api.tables import boards, hints, task_analyses, tasks
from kanban.contracts.events import HintDraft
from kanban.db.async_core import AsyncConnection
from kanban.db.types import new_id, utcnow
from kanban.messaging.sql import upsert_row

# The statements of the hint consumer's rounds and the hint routes, built once (a statement built
# per call costs more CPU than SQLAlchemy's cached compile of it); lists of ids are expanding parameters.
_HINT_IDS: BindParameter[list[str]] = bindparam("hint_ids", expanding=True)
_HINT_BY_ID = select(hints).where(hints.c.id == bindparam("hint_id"))
_HINTS_BY_IDS = select(hints).where(hints.c.id.in_(_HINT_IDS))
_BOARD_CONFIG = select(boards.c.config).where(boards.c.id == bindparam("board_id"))
_KNOWN_DRAFTS = select(hints.c.draft_id).where(hints.c.draft_id.in_(bindparam("draft_ids", expanding=True)))
_INSERT_HINTS = hints.insert()
_OLDEST_FIRST = (hints.c.created_at, hints.c.id)
_OF_TASK = hints.c.task_id == bindparam("task_id")
_PROPOSED = select(hints).where(_OF_TASK, hints.c.status == "proposed").order_by(*_OLDEST_FIRST)
_TASK_HINTS = select(hints).where(_OF_TASK, hints.c.status == bindparam("status")).order_by(*_OLDEST_FIRST)
_TASK_HINTS_SHOWN = select(hints).where(_OF_TASK, hints.c.status != "superseded").order_by(*_OLDEST_FIRST)
_DECIDED = select(hints.c.hint_type, hints.c.content, hints.c.data, hints.c.value_key).where(
    _OF_TASK, hints.c.basis == bindparam("basis"), hints.c.status.in_(("applied", "dismissed", "undone"))
)


@cache
def _owned_hint_statement(lock: bool) -> Select[Any]:
    stmt = (
        select(hints)
        .join(tasks, tasks.c.id == hints.c.task_id)
        .join(boards, boards.c.id == tasks.c.board_id)
        .where(hints.c.id == bindparam("hint_id"), boards.c.owner_id == bindparam("user_id"))
    )
    return stmt.with_for_update(of=hints) if lock else stmt


@cache
def _proposed_of_types_statement(lock: bool) -> Select[Any]:
    stmt = (
        select(hints)
        .where(_OF_TASK, hints.c.status == "proposed", hints.c.hint_type.in_(bindparam("types", expanding=True)))
        .order_by(hints.c.id)
    )
    # Locked in id order, in one statement: two such batches on one task never wait on each other crosswise.
    return stmt.with_for_update() if lock else stmt


async def lock_proposed_hints(conn: AsyncConnection, task_id: str, types: Collection[str]) -> list[Row]:
    """The task's proposed hints of `types`, locked (on PostgreSQL) before the task is, as a single
    hint's decision locks its hint first."""
    stmt = _proposed_of_types_statement(conn.dialect.name == "postgresql")
    return list((await conn.execute(stmt, {"task_id": task_id, "types": sorted(types)})).all())


@cache
def _task_statement(lock: bool) -> Select[Any]:
    stmt = select(tasks).where(tasks.c.id == bindparam("task_id"))
    return stmt.with_for_update() if lock else stmt


async def owned_hint(conn: AsyncConnection, hint_id: str, user_id: str, *, for_update: bool = False) -> Row | None:
    stmt = _owned_hint_statement(for_update and conn.dialect.name == "postgresql")
    return (await conn.execute(stmt, {"hint_id": hint_id, "user_id": user_id})).first()


async def hint_by_id(conn: AsyncConnection, hint_id: str) -> Row:
    return (await conn.execute(_HINT_BY_ID, {"hint_id": hint_id})).one()


async def hints_by_ids(conn: AsyncConnection, hint_ids: Sequence[str]) -> list[Row]:
    """The hints with these ids, in the order given: one statement however many."""
    if not hint_ids:
        return []
    rows = {row.id: row for row in (await conn.execute(_HINTS_BY_IDS, {"hint_ids": list(hint_ids)})).all()}
    return [rows[hint_id] for hint_id in hint_ids]


async def task_hints(conn: AsyncConnection, task_id: str, status: str | None = None) -> list[Row]:
    """The task's hints with `status`; without one, every hint but those a later analysis replaced."""
    if status is None:
        return list((await conn.execute(_TASK_HINTS_SHOWN, {"task_id": task_id})).all())
    return list((await conn.execute(_TASK_HINTS, {"task_id": task_id, "status": status})).all())


async def task_for_update(conn: AsyncConnection, task_id: str) -> Row | None:
    stmt = _task_statement(conn.dialect.name == "postgresql")
    return (await conn.execute(stmt, {"task_id": task_id})).first()


async def board_config(conn: AsyncConnection, board_id: str) -> dict[str, Any] | None:
    return await conn.scalar(_BOARD_CONFIG, {"board_id": board_id})  # type: ignore[no-any-return]


async def known_draft_ids(conn: AsyncConnection, draft_ids: Sequence[str]) -> set[str]:
    if not draft_ids:
        return set()
    rows = await conn.execute(_KNOWN_DRAFTS, {"draft_ids": list(draft_ids)})
    return {r for r in rows.scalars() if r is not None}


async def applied_types(conn: AsyncConnection, task_id: str) -> set[str]:
    """Hint types already applied to the task at some point (applied, or applied then undone)."""
    rows = await conn.execute(
        select(hints.c.hint_type).where(hints.c.task_id == task_id, hints.c.applied_at.is_not(None)).distinct()
    )
    return set(rows.scalars())


async def insert_hints(
    conn: AsyncConnection,
    task_id: str,
    job_id: str,
    drafts: Sequence[HintDraft],
    *,
    basis: str | None = None,
    value_keys: Sequence[str | None] | None = None,
    supersedes: Sequence[str | None] | None = None,
) -> list[str]:
    """Insert proposed hints for the drafts; returns their ids in order."""
    if not drafts:
        return []
    now = utcnow()
    keys = list(value_keys) if value_keys is not None else [None] * len(drafts)
    replaced = list(supersedes) if supersedes is not None else [None] * len(drafts)
    rows = [
        {
            "basis": basis,
            "value_key": key,
            "supersedes": old,
            "id": new_id(),
            "task_id": task_id,
            "draft_id": d.draft_id,
            "job_id": job_id,
            "agent_id": d.agent_id,
            "hint_type": d.hint_type,
            "title": d.title,
            "content": d.content,
            "data": d.data,
            "confidence": d.confidence,
            "untrusted": d.untrusted,
            "status": "proposed",
            "auto_applied": False,
            "created_at": now,
            "updated_at": now,
        }
        for d, key, old in zip(drafts, keys, replaced, strict=True)
    ]
    await conn.execute(_INSERT_HINTS, rows)
    return [str(r["id"]) for r in rows]


async def set_hint(conn: AsyncConnection, hint_id: str, **values: Any) -> None:
    await conn.execute(update(hints).where(hints.c.id == hint_id).values(updated_at=utcnow(), **values))


async def proposed_hints(conn: AsyncConnection, task_id: str) -> list[Row]:
    """The task's standing proposals, oldest first."""
    return list((await conn.execute(_PROPOSED, {"task_id": task_id})).all())


async def decided_hints(conn: AsyncConnection, task_id: str, basis: str) -> list[Row]:
    """Hints the owner (or auto-apply) decided on for this content of the task: applied, dismissed, undone."""
    return list((await conn.execute(_DECIDED, {"task_id": task_id, "basis": basis})).all())


async def supersede(conn: AsyncConnection, hint_ids: Sequence[str], by: str | None) -> None:
    if hint_ids:
        await conn.execute(
            update(hints)
            .where(hints.c.id.in_(hint_ids), hints.c.status == "proposed")
            .values(status="superseded", superseded_by=by, updated_at=utcnow())
        )


async def save_analysis(conn: AsyncConnection, task_id: str, **values: Any) -> None:
    await upsert_row(conn, task_analyses, {"task_id": task_id, **values}, ["task_id"])


async def task_analysis(conn: AsyncConnection, task_id: str) -> Row | None:
    return (await conn.execute(select(task_analyses).where(task_analyses.c.task_id == task_id))).first()


async def proposed_counts(conn: AsyncConnection, task_ids: Sequence[str]) -> dict[str, int]:
    """How many hints wait for a decision on each task (the board's badge); tasks without any are absent."""
    if not task_ids:
        return {}
    stmt = (
        select(hints.c.task_id, func.count())
        .where(hints.c.task_id.in_(list(task_ids)), hints.c.status == "proposed")
        .group_by(hints.c.task_id)
    )
    return {row[0]: int(row[1]) for row in (await conn.execute(stmt)).all()}

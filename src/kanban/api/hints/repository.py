"""Reads and writes of hints; SQL only, no rules."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from kanban.api.tables import boards, hints, task_analyses, tasks
from kanban.contracts.events import HintDraft
from kanban.db.types import new_id, utcnow
from kanban.messaging.sql import upsert_row


async def owned_hint(conn: AsyncConnection, hint_id: str, user_id: str, *, for_update: bool = False) -> Row | None:
    stmt = (
        select(hints)
        .join(tasks, tasks.c.id == hints.c.task_id)
        .join(boards, boards.c.id == tasks.c.board_id)
        .where(hints.c.id == hint_id, boards.c.owner_id == user_id)
    )
    if for_update and conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=hints)
    return (await conn.execute(stmt)).first()


async def hint_by_id(conn: AsyncConnection, hint_id: str) -> Row:
    return (await conn.execute(select(hints).where(hints.c.id == hint_id))).one()


async def hints_by_ids(conn: AsyncConnection, hint_ids: Sequence[str]) -> list[Row]:
    """The hints with these ids, in the order given: one statement however many."""
    if not hint_ids:
        return []
    rows = {row.id: row for row in (await conn.execute(select(hints).where(hints.c.id.in_(hint_ids)))).all()}
    return [rows[hint_id] for hint_id in hint_ids]


async def task_hints(conn: AsyncConnection, task_id: str, status: str | None = None) -> list[Row]:
    """The task's hints with `status`; without one, every hint but those a later analysis replaced."""
    stmt = select(hints).where(hints.c.task_id == task_id)
    shown = hints.c.status == status if status is not None else hints.c.status != "superseded"
    stmt = stmt.where(shown)
    return list((await conn.execute(stmt.order_by(hints.c.created_at, hints.c.id))).all())


async def task_for_update(conn: AsyncConnection, task_id: str) -> Row | None:
    stmt = select(tasks).where(tasks.c.id == task_id)
    if conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    return (await conn.execute(stmt)).first()


async def board_config(conn: AsyncConnection, board_id: str) -> dict[str, Any] | None:
    return await conn.scalar(select(boards.c.config).where(boards.c.id == board_id))  # type: ignore[no-any-return]


async def known_draft_ids(conn: AsyncConnection, draft_ids: Sequence[str]) -> set[str]:
    if not draft_ids:
        return set()
    rows = await conn.execute(select(hints.c.draft_id).where(hints.c.draft_id.in_(draft_ids)))
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
    await conn.execute(hints.insert(), rows)
    return [str(r["id"]) for r in rows]


async def set_hint(conn: AsyncConnection, hint_id: str, **values: Any) -> None:
    await conn.execute(update(hints).where(hints.c.id == hint_id).values(updated_at=utcnow(), **values))


async def proposed_hints(conn: AsyncConnection, task_id: str) -> list[Row]:
    """The task's standing proposals, oldest first."""
    stmt = select(hints).where(hints.c.task_id == task_id, hints.c.status == "proposed")
    return list((await conn.execute(stmt.order_by(hints.c.created_at, hints.c.id))).all())


async def decided_hints(conn: AsyncConnection, task_id: str, basis: str) -> list[Row]:
    """Hints the owner (or auto-apply) decided on for this content of the task: applied, dismissed, undone."""
    stmt = select(hints.c.hint_type, hints.c.content, hints.c.data, hints.c.value_key).where(
        hints.c.task_id == task_id,
        hints.c.basis == basis,
        hints.c.status.in_(("applied", "dismissed", "undone")),
    )
    return list((await conn.execute(stmt)).all())


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

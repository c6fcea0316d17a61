"""An account was deleted: drop everything the Worker holds of its boards, in the event's transaction.

Snapshots (tasks, boards, tags, projects), jobs, agent results, hint drafts and agent memory go;
so do inbox rows, dead letters and pending outbox rows about those aggregates (their envelopes
carry the user's text). The aggregates' cursors stay, marked deleted and holding only ids and
versions, so an event of a deleted task that arrives late is skipped instead of recreating it.
"""

from __future__ import annotations

from sqlalchemy import delete, select, update

from kanban.contracts import events as ev
from kanban.contracts.base import Event
from kanban.contracts.envelope import Envelope
from kanban.db.types import utcnow
from kanban.messaging.inbox import Handler
from kanban.messaging.unit_of_work import UnitOfWork
from kanban.worker import tables as t


async def user_deleted(event: Event, envelope: Envelope, uow: UnitOfWork) -> None:
    assert isinstance(event, ev.UserDeletedV1)
    if not event.board_ids:
        return
    conn, boards = uow.conn, list(event.board_ids)
    # Materialised first: the snapshots that name these ids are deleted below.
    task_ids = list(
        (
            await conn.execute(select(t.task_snapshots.c.task_id).where(t.task_snapshots.c.board_id.in_(boards)))
        ).scalars()
    )
    project_ids = list(
        (
            await conn.execute(
                select(t.project_snapshots.c.project_id).where(t.project_snapshots.c.board_id.in_(boards))
            )
        ).scalars()
    )
    tag_ids = list(
        (await conn.execute(select(t.tag_snapshots.c.tag_id).where(t.tag_snapshots.c.board_id.in_(boards)))).scalars()
    )
    # Every per-task table (drafts, results, jobs, agent inputs...), whatever tables are added later.
    per_task = [table for table in t.metadata.sorted_tables if "task_id" in table.c and table is not t.task_snapshots]
    for chunk in _chunks(task_ids):
        for table in reversed(per_task):
            await conn.execute(delete(table).where(table.c.task_id.in_(chunk)))
    for chunk in _chunks(project_ids):
        await conn.execute(delete(t.agent_memory).where(t.agent_memory.c.project_id.in_(chunk)))
    m = t.messaging
    for chunk in _chunks(boards + task_ids + project_ids + tag_ids):
        await conn.execute(delete(m.inbox).where(m.inbox.c.aggregate_id.in_(chunk), m.inbox.c.event_id != envelope.key))
        for table in (m.dead_letters, m.outbox):
            await conn.execute(delete(table).where(table.c.aggregate_id.in_(chunk)))
        await conn.execute(
            update(m.cursors).where(m.cursors.c.aggregate_id.in_(chunk)).values(deleted=True, updated_at=utcnow())
        )
    await conn.execute(delete(t.task_snapshots).where(t.task_snapshots.c.board_id.in_(boards)))
    await conn.execute(delete(t.tag_snapshots).where(t.tag_snapshots.c.board_id.in_(boards)))
    await conn.execute(delete(t.project_snapshots).where(t.project_snapshots.c.board_id.in_(boards)))
    await conn.execute(delete(t.board_snapshots).where(t.board_snapshots.c.board_id.in_(boards)))


def _chunks(ids: list[str], size: int = 5000) -> list[list[str]]:
    """Lists of ids short enough for one statement's parameters on either backend."""
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def account_handlers() -> dict[str, Handler]:
    return {ev.UserDeletedV1.TYPE: user_deleted}

"""The owner's commands about analysis, and the API's acknowledgement of stored hints."""

from __future__ import annotations

from sqlalchemy import bindparam, select, update

from kanban.contracts import events as ev
from kanban.contracts.base import Event
from kanban.contracts.envelope import Envelope
from kanban.db.types import utcnow
from kanban.messaging.inbox import Handler
from kanban.messaging.unit_of_work import UnitOfWork
from kanban.worker.jobs.queue import cancel_jobs, enqueue_job
from kanban.worker.tables import hint_drafts, task_snapshots


async def analysis_requested(event: Event, _: Envelope, uow: UnitOfWork) -> None:
    """Run the agents again now, unless the task is unknown or deleted."""
    assert isinstance(event, ev.AnalysisRequestedV1)
    snapshot = (
        await uow.conn.execute(
            select(task_snapshots.c.version, task_snapshots.c.deleted).where(task_snapshots.c.task_id == event.task_id)
        )
    ).first()
    if snapshot is None or snapshot.deleted:
        return
    await enqueue_job(uow.conn, event.task_id, snapshot.version, "rerun", debounce_seconds=0)


async def analysis_cancelled(event: Event, _: Envelope, uow: UnitOfWork) -> None:
    assert isinstance(event, ev.AnalysisCancelledV1)
    await cancel_jobs(uow.conn, event.task_id, "cancelled by the owner")


async def hints_synced(event: Event, _: Envelope, uow: UnitOfWork) -> None:
    assert isinstance(event, ev.HintsSyncedV1)
    if not event.draft_ids:
        return
    await uow.conn.execute(_MARK_SYNCED, {"draft_ids": list(event.draft_ids), "synced_now": utcnow()})


# Built once: a statement built per event costs more CPU than SQLAlchemy's cached compile of it.
_MARK_SYNCED = (
    update(hint_drafts)
    .where(hint_drafts.c.id.in_(bindparam("draft_ids", expanding=True)), hint_drafts.c.status == "pending")
    .values(status="synced", synced_at=bindparam("synced_now"))
)


def job_handlers() -> dict[str, Handler]:
    return {
        ev.AnalysisRequestedV1.TYPE: analysis_requested,
        ev.AnalysisCancelledV1.TYPE: analysis_cancelled,
        ev.HintsSyncedV1.TYPE: hints_synced,
    }

"""Event handlers that keep the read model current and queue analysis when a task's content changes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, delete, select, update

from kanban.contracts import events as ev
from kanban.contracts.base import Event
from kanban.contracts.envelope import Envelope
from kanban.db.types import utcnow
from kanban.messaging.inbox import Handler
from kanban.messaging.sql import upsert_row
from kanban.messaging.unit_of_work import UnitOfWork
from kanban.worker import tables as t
from kanban.worker.agents.fingerprints import analysis_key
from kanban.worker.jobs.queue import BACKGROUND, cancel_jobs, enqueue_job

# The Worker's inbox consumer (its service name): the cursors an import's batch starts are its own.
CONSUMER = "worker"


_INPUT_KEY = select(t.task_snapshots.c.input_key).where(t.task_snapshots.c.task_id == bindparam("task_id"))


async def _save_task(uow: UnitOfWork, task: ev.TaskState, *, queue: bool) -> str | None:
    """Save the snapshot; the new analysis key when the change is worth a job (`queue` and inputs changed).

    Only a change to what the agents read queues analysis: a move, a priority or context set by
    hand or by an applied hint, a done toggle, leave the key as it was.
    """
    key = analysis_key(task)
    previous = await uow.conn.scalar(_INPUT_KEY, {"task_id": task.task_id})
    wanted = queue and not task.is_done and previous != key
    row = {
        "task_id": task.task_id,
        "board_id": task.board_id,
        "version": task.version,
        "state": task.model_dump(mode="json"),
        "deleted": False,
        "updated_at": utcnow(),
        "input_key": key if wanted else previous,
    }
    await upsert_row(uow.conn, t.task_snapshots, row, ["task_id"])
    return key if wanted else None


def task_handlers(debounce_seconds: float) -> dict[str, Handler]:
    async def created(event: Event, _: Envelope, uow: UnitOfWork) -> None:
        assert isinstance(event, ev.TaskCreatedV1 | ev.TaskSnapshottedV1)
        if await _save_task(uow, event.task, queue=True):
            # A new task has no burst of edits to wait for: its first hints come at once.
            await enqueue_job(uow.conn, event.task.task_id, event.task.version, "created", debounce_seconds=0)

    async def updated(event: Event, _: Envelope, uow: UnitOfWork) -> None:
        assert isinstance(event, ev.TaskUpdatedV1)
        if await _save_task(uow, event.task, queue=True):
            await enqueue_job(uow.conn, event.task.task_id, event.task.version, "updated", debounce_seconds)

    async def imported(event: Event, _: Envelope, uow: UnitOfWork) -> None:
        """Each task as a task.created, except those a later event (a delete) already passed."""
        assert isinstance(event, ev.TasksImportedV1)
        cursors = t.messaging.cursors
        ids = [task.task_id for task in event.tasks]
        passed = {
            row.aggregate_id
            for row in await uow.conn.execute(
                select(cursors.c.aggregate_id).where(cursors.c.consumer == CONSUMER, cursors.c.aggregate_id.in_(ids))
            )
        }
        now = utcnow()
        for task in event.tasks:
            if task.task_id in passed:
                continue
            wanted = await _save_task(uow, task, queue=True)
            # The task's history starts here, at its imported version: its next event applies in order.
            cursor = {"consumer": CONSUMER, "aggregate_id": task.task_id, "version": task.version, "deleted": False,
                      "updated_at": now}  # fmt: skip
            await upsert_row(uow.conn, cursors, cursor, ["consumer", "aggregate_id"])
            if wanted:
                await enqueue_job(uow.conn, task.task_id, task.version, "imported", debounce_seconds, BACKGROUND)

    async def moved(event: Event, _: Envelope, uow: UnitOfWork) -> None:
        assert isinstance(event, ev.TaskMovedV1)
        await _save_task(uow, event.task, queue=False)

    async def deleted(event: Event, _: Envelope, uow: UnitOfWork) -> None:
        assert isinstance(event, ev.TaskDeletedV1)
        tombstone = {"task_id": event.task_id, "board_id": event.board_id, "version": 0, "state": None,
                     "deleted": True, "updated_at": utcnow()}  # fmt: skip
        await upsert_row(uow.conn, t.task_snapshots, tombstone, ["task_id"])
        await cancel_jobs(uow.conn, event.task_id, "task deleted")
        await uow.conn.execute(delete(t.hint_drafts).where(t.hint_drafts.c.task_id == event.task_id))

    return {
        ev.TaskCreatedV1.TYPE: created,
        ev.TaskSnapshottedV1.TYPE: created,
        ev.TasksImportedV1.TYPE: imported,
        ev.TaskUpdatedV1.TYPE: updated,
        ev.TaskMovedV1.TYPE: moved,
        ev.TaskDeletedV1.TYPE: deleted,
    }


def _state_saver(table: Any, key: str, attr: str, board_scoped: bool = True) -> Handler:
    async def save(event: Event, _: Envelope, uow: UnitOfWork) -> None:
        state = getattr(event, attr)
        row: dict[str, Any] = {
            key: getattr(state, key),
            "version": state.version,
            "deleted": False,
            "updated_at": utcnow(),
        }
        if table is t.tag_snapshots:
            row |= {"board_id": state.board_id, "name": state.name}
        else:
            row["state"] = state.model_dump(mode="json")
            if board_scoped:
                row["board_id"] = state.board_id
        await upsert_row(uow.conn, table, row, [key])

    return save


def _tombstoner(table: Any, key: str) -> Handler:
    async def tombstone(event: Event, _: Envelope, uow: UnitOfWork) -> None:
        await uow.conn.execute(
            update(table).where(table.c[key] == getattr(event, key)).values(deleted=True, updated_at=utcnow())
        )

    return tombstone


def reference_handlers() -> dict[str, Handler]:
    """Boards, tags (the board's vocabulary) and projects."""
    board = _state_saver(t.board_snapshots, "board_id", "board", board_scoped=False)
    tag = _state_saver(t.tag_snapshots, "tag_id", "tag")
    project = _state_saver(t.project_snapshots, "project_id", "project")
    return {
        ev.BoardCreatedV1.TYPE: board,
        ev.BoardUpdatedV1.TYPE: board,
        ev.BoardDeletedV1.TYPE: _tombstoner(t.board_snapshots, "board_id"),
        ev.TagCreatedV1.TYPE: tag,
        ev.TagUpdatedV1.TYPE: tag,
        ev.TagDeletedV1.TYPE: _tombstoner(t.tag_snapshots, "tag_id"),
        ev.ProjectCreatedV1.TYPE: project,
        ev.ProjectUpdatedV1.TYPE: project,
        ev.ProjectDeletedV1.TYPE: _tombstoner(t.project_snapshots, "project_id"),
    }

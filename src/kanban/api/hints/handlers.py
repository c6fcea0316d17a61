"""Hint commands (apply, dismiss, undo), analysis requests, and storing the Worker's proposals.

Applying changes the task through `record_task_change` (kind "hint_applied"), so the task's
version, history and event follow. Auto-apply, when the board allows it, takes only trusted,
confident hints that add to the task or fill an empty field, and each hint type at most once
per task: a re-analysis triggered by an applied hint cannot feed itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row

from kanban.api.errors import Conflict, NotFound
from kanban.api.hints import repository as repo
from kanban.api.hints.effects import TEXT_HINTS, HintNotApplicable, apply_effect, undo_effect
from kanban.api.hints.schemas import HintOut
from kanban.api.ownership import owned_task
from kanban.api.realtime.hub import RealtimeHub
from kanban.api.tasks.rules import BoardSettings
from kanban.api.tasks.state import record_task_change
from kanban.contracts.events import AnalysisCancelledV1, AnalysisRequestedV1, HintsProposedV1, HintsSyncedV1
from kanban.db.types import utcnow
from kanban.messaging.unit_of_work import UnitOfWork

# Types that only add to a task or set one field: safe to apply without asking.
AUTO_TYPES = frozenset({"context", "priority", "duration", "tags", "actions"})
AGENT = "agent"


class HintNotProposed(Conflict):
    title = "Hint already decided"


class HintNotApplied(Conflict):
    title = "Hint not applied"


@dataclass(frozen=True)
class HintCommand:
    user_id: str
    hint_id: str


@dataclass(frozen=True)
class AnalysisCommand:
    user_id: str
    task_id: str


def hint_json(row: Row) -> dict[str, Any]:
    return HintOut.model_validate(row).model_dump(by_alias=True, mode="json")


def _by(user_id: str) -> str:
    return f"user:{user_id}"


async def _owned_hint(uow: UnitOfWork, cmd: HintCommand) -> Row:
    hint = await repo.owned_hint(uow.conn, cmd.hint_id, cmd.user_id, for_update=True)
    if hint is None:
        raise NotFound(f"hint {cmd.hint_id} not found")
    return hint


async def list_task_hints(task_id: str, user_id: str, status: str | None, uow: UnitOfWork) -> list[Row]:
    await owned_task(uow.conn, task_id, user_id)
    return await repo.task_hints(uow.conn, task_id, status)


async def apply_to_task(uow: UnitOfWork, task: Row, hint: Row, *, auto: bool, by: str) -> None:
    effect = await apply_effect(uow, task, hint)
    await repo.set_hint(uow.conn, hint.id, status="applied", auto_applied=auto, undo=effect.undo, applied_at=utcnow())
    if effect.changed_fields:
        await record_task_change(
            uow,
            task.id,
            kind="hint_applied",
            changed_fields=effect.changed_fields,
            payload={"hintId": hint.id, "hintType": hint.hint_type, "auto": auto},
            triggered_by=by,
        )


async def _decided(uow: UnitOfWork, hint_id: str, board_id: str, realtime: RealtimeHub) -> Row:
    row = await repo.hint_by_id(uow.conn, hint_id)
    realtime.publish_after_commit(uow, board_id, "hint.updated", hint_json(row))
    await uow.commit()
    return row


async def apply_hint(cmd: HintCommand, uow: UnitOfWork, realtime: RealtimeHub) -> Row:
    hint = await _owned_hint(uow, cmd)
    if hint.status != "proposed":
        raise HintNotProposed(f"hint {hint.id} is {hint.status}; only a proposed hint can be applied")
    task = await repo.task_for_update(uow.conn, hint.task_id)
    assert task is not None  # the hint's ownership was checked through its task
    await apply_to_task(uow, task, hint, auto=False, by=_by(cmd.user_id))
    return await _decided(uow, hint.id, task.board_id, realtime)


async def dismiss_hint(cmd: HintCommand, uow: UnitOfWork, realtime: RealtimeHub) -> Row:
    hint = await _owned_hint(uow, cmd)
    if hint.status != "proposed":
        raise HintNotProposed(f"hint {hint.id} is {hint.status}; only a proposed hint can be dismissed")
    await repo.set_hint(uow.conn, hint.id, status="dismissed", dismissed_at=utcnow())
    task = await repo.task_for_update(uow.conn, hint.task_id)
    assert task is not None
    return await _decided(uow, hint.id, task.board_id, realtime)


async def undo_hint(cmd: HintCommand, uow: UnitOfWork, realtime: RealtimeHub) -> Row:
    hint = await _owned_hint(uow, cmd)
    if hint.status != "applied":
        raise HintNotApplied(f"hint {hint.id} is {hint.status}; only an applied hint can be undone")
    task = await repo.task_for_update(uow.conn, hint.task_id)
    assert task is not None
    changed = await undo_effect(uow, task, hint)
    await repo.set_hint(uow.conn, hint.id, status="undone")
    if changed:
        await record_task_change(
            uow,
            task.id,
            kind="hint_undone",
            changed_fields=changed,
            payload={"hintId": hint.id, "hintType": hint.hint_type},
            triggered_by=_by(cmd.user_id),
        )
    return await _decided(uow, hint.id, task.board_id, realtime)


async def request_analysis(cmd: AnalysisCommand, uow: UnitOfWork) -> None:
    await owned_task(uow.conn, cmd.task_id, cmd.user_id)
    uow.record(AnalysisRequestedV1(task_id=cmd.task_id), aggregate_id=cmd.task_id)
    await uow.commit()


async def cancel_analysis(cmd: AnalysisCommand, uow: UnitOfWork) -> None:
    await owned_task(uow.conn, cmd.task_id, cmd.user_id)
    uow.record(AnalysisCancelledV1(task_id=cmd.task_id), aggregate_id=cmd.task_id)
    await uow.commit()


# --- from the Worker ----------------------------------------------------------------------


def auto_applicable(hint: Row, task: Row, threshold: float) -> bool:
    if hint.untrusted or (hint.confidence or 0.0) < threshold:
        return False
    if hint.hint_type in AUTO_TYPES:
        return True
    if hint.hint_type in TEXT_HINTS:  # fills an empty field, never replaces the owner's words
        return not (task._mapping[TEXT_HINTS[hint.hint_type]] or "").strip()
    return False


async def _auto_apply(uow: UnitOfWork, task_id: str, hint_ids: list[str], threshold: float) -> None:
    already = await repo.applied_types(uow.conn, task_id)
    for hint_id in hint_ids:
        hint = await repo.hint_by_id(uow.conn, hint_id)
        task = await repo.task_for_update(uow.conn, task_id)  # re-read: an earlier hint may have changed it
        if task is None or hint.hint_type in already or not auto_applicable(hint, task, threshold):
            continue
        try:
            await apply_to_task(uow, task, hint, auto=True, by=AGENT)
        except HintNotApplicable:
            continue  # malformed for its type: it stays proposed for the owner to judge
        already.add(hint.hint_type)


async def store_proposed_hints(event: HintsProposedV1, uow: UnitOfWork, realtime: RealtimeHub) -> None:
    """Store the drafts as proposed hints (once per draft id), auto-apply what the board allows, acknowledge."""
    conn = uow.conn
    task = await repo.task_for_update(conn, event.task_id)
    if task is None:
        return  # deleted meanwhile; the Worker dropped its drafts with the task
    known = await repo.known_draft_ids(conn, [d.draft_id for d in event.drafts])
    hint_ids = await repo.insert_hints(
        conn, task.id, event.job_id, [d for d in event.drafts if d.draft_id not in known]
    )
    board = BoardSettings.from_config(await repo.board_config(conn, task.board_id))
    if board.auto_apply_hints and hint_ids:
        await _auto_apply(uow, task.id, hint_ids, board.auto_apply_threshold)
    uow.record(HintsSyncedV1(task_id=task.id, draft_ids=tuple(d.draft_id for d in event.drafts)), aggregate_id=task.id)
    if hint_ids:
        hints = [hint_json(await repo.hint_by_id(conn, hint_id)) for hint_id in hint_ids]
        realtime.publish_after_commit(uow, task.board_id, "hints", {"taskId": task.id, "hints": hints})
    uow.after_commit(lambda: realtime.publish_task_changes(uow.committed))

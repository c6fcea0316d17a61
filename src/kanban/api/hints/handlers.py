"""Hint commands (apply, dismiss, undo), analysis requests, and storing the Worker's proposals.

Applying changes the task through `record_task_change` (kind "hint_applied"), so the task's
version, history and event follow. Auto-apply, when the board allows it, takes only trusted,
confident hints that add to the task or fill an empty field, and each hint type at most once
per task: a re-analysis triggered by an applied hint cannot feed itself.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row

from kanban.api.errors import Conflict, NotFound
from kanban.api.hints import repository as repo
from kanban.api.hints.effects import TEXT_HINTS, HintNotApplicable, apply_effect, undo_effect
from kanban.api.hints.schemas import HintOut
from kanban.api.hints.values import SET_HINTS, elements, value_key, without_elements
from kanban.api.ownership import owned_task
from kanban.api.realtime.hub import RealtimeHub
from kanban.api.tasks.rules import BoardSettings
from kanban.api.tasks.state import record_task_change
from kanban.contracts.events import (
    AnalysisCancelledV1,
    AnalysisFailedV1,
    AnalysisRequestedV1,
    HintDraft,
    HintsProposedV1,
    HintsProposedV2,
    HintsSyncedV1,
)
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
class TaskCommand:
    """A command on one task's hints or analysis."""

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


async def apply_task_hints(cmd: TaskCommand, uow: UnitOfWork, realtime: RealtimeHub) -> list[Row]:
    """Apply every proposed hint of the task that only adds to it or sets one field (the types
    auto-apply takes), in one transaction, each on the task as the one before left it. A hint whose
    content does not fit its type stays proposed; the applied ones are returned."""
    task = await owned_task(uow.conn, cmd.task_id, cmd.user_id)
    proposed = await repo.lock_proposed_hints(uow.conn, cmd.task_id, AUTO_TYPES)
    applied = await _apply_in_turn(uow, cmd.task_id, proposed, auto=False, by=_by(cmd.user_id))
    rows = await repo.hints_by_ids(uow.conn, [hint.id for hint in applied])
    for row in rows:
        realtime.publish_after_commit(uow, task.board_id, "hint.updated", hint_json(row))
    await uow.commit()
    return rows


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


async def request_analysis(cmd: TaskCommand, uow: UnitOfWork) -> None:
    await owned_task(uow.conn, cmd.task_id, cmd.user_id)
    uow.record(AnalysisRequestedV1(task_id=cmd.task_id), aggregate_id=cmd.task_id)
    await uow.commit()


async def cancel_analysis(cmd: TaskCommand, uow: UnitOfWork) -> None:
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


async def _apply_in_turn(
    uow: UnitOfWork,
    task_id: str,
    hints: Sequence[Row],
    *,
    auto: bool,
    by: str,
    takes: Callable[[Row, Row, Sequence[Row]], bool] | None = None,
) -> list[Row]:
    """Apply `hints` one after another, each on the task as the one before left it, those `takes`
    (hint, task, applied so far) accepts; one whose content does not fit its type stays proposed.
    Returns the hints applied."""
    applied: list[Row] = []
    for hint in hints:
        task = await repo.task_for_update(uow.conn, task_id)  # re-read: an earlier hint may have changed it
        if task is None or (takes is not None and not takes(hint, task, applied)):
            continue
        try:
            await apply_to_task(uow, task, hint, auto=auto, by=by)
        except HintNotApplicable:
            continue  # malformed for its type: it stays proposed for the owner to judge
        applied.append(hint)
    return applied


async def _auto_apply(uow: UnitOfWork, task_id: str, hint_ids: list[str], threshold: float) -> None:
    already = await repo.applied_types(uow.conn, task_id)

    def takes(hint: Row, task: Row, applied: Sequence[Row]) -> bool:
        # Each type at most once per task: a re-analysis triggered by an applied hint cannot feed itself.
        taken = already | {done.hint_type for done in applied}
        return hint.hint_type not in taken and auto_applicable(hint, task, threshold)

    await _apply_in_turn(uow, task_id, await repo.hints_by_ids(uow.conn, hint_ids), auto=True, by=AGENT, takes=takes)


async def store_proposed_hints(
    event: HintsProposedV1 | HintsProposedV2, uow: UnitOfWork, realtime: RealtimeHub
) -> None:
    """Make the analysis the task's current one: new values replace standing proposals, decided values stay out.

    Per hint type, one proposal stands. A draft whose value is already proposed keeps that hint; a
    new value supersedes it (both rows name each other); an analysed type without a draft withdraws
    its proposal. Values the owner dismissed, applied or undid for the same task content are left
    out. Then auto-apply what the board allows, record the analysis, and acknowledge the drafts.
    """
    conn = uow.conn
    task = await repo.task_for_update(conn, event.task_id)
    if task is None:
        return  # deleted meanwhile; the Worker dropped its drafts with the task
    v2 = isinstance(event, HintsProposedV2)
    basis = event.basis if isinstance(event, HintsProposedV2) else None
    known = await repo.known_draft_ids(conn, [d.draft_id for d in event.drafts])
    drafts = [d for d in event.drafts if d.draft_id not in known]
    analysed = set(event.analysed_types) if isinstance(event, HintsProposedV2) else {d.hint_type for d in drafts}
    replaced: dict[str, str | None] = {}
    hint_ids: list[str] = []
    if v2 or drafts:
        decided = await repo.decided_hints(conn, task.id, basis) if basis is not None else []
        standing: dict[str, list[Row]] = {}
        for row in await repo.proposed_hints(conn, task.id):
            standing.setdefault(row.hint_type, []).append(row)
        kept_types: set[str] = set()
        for draft in drafts:
            fresh = _fresh(draft, decided) if v2 else draft
            if fresh is None:
                continue
            key = value_key(fresh.hint_type, fresh.content, fresh.data)
            olds = standing.get(fresh.hint_type, [])
            same = next((o for o in olds if _key_of(o) == key), None)
            kept_types.add(fresh.hint_type)
            if same is not None and v2:
                others = [o.id for o in olds if o.id != same.id]
                await repo.supersede(conn, others, same.id)
                replaced |= dict.fromkeys(others, same.id)
                standing[fresh.hint_type] = [same]
                continue
            [new_id] = await repo.insert_hints(
                conn, task.id, event.job_id, [fresh], basis=basis, value_keys=[key],
                supersedes=[olds[0].id if olds and v2 else None],
            )  # fmt: skip
            hint_ids.append(new_id)
            if v2:
                await repo.supersede(conn, [o.id for o in olds], new_id)
                replaced |= dict.fromkeys((o.id for o in olds), new_id)
                standing[fresh.hint_type] = [await repo.hint_by_id(conn, new_id)]
        if v2:  # an analysed type with nothing left to say withdraws what it said before
            withdrawn = [o.id for kind in analysed - kept_types for o in standing.get(kind, [])]
            await repo.supersede(conn, withdrawn, None)
            replaced |= dict.fromkeys(withdrawn, None)
    board = BoardSettings.from_config(await repo.board_config(conn, task.board_id))
    if board.auto_apply_hints and hint_ids:
        await _auto_apply(uow, task.id, hint_ids, board.auto_apply_threshold)
    if isinstance(event, HintsProposedV2):
        await _record_analysis(uow, event, realtime, task.board_id, replaced)
    uow.record(HintsSyncedV1(task_id=task.id, draft_ids=tuple(d.draft_id for d in event.drafts)), aggregate_id=task.id)
    # What the stream says, read in one statement: the replaced hints as they stand now, then the new ones.
    rows = await repo.hints_by_ids(conn, [*replaced, *hint_ids])
    for row in rows[: len(replaced)]:
        realtime.publish_after_commit(uow, task.board_id, "hint.updated", hint_json(row))
    if hint_ids:
        hints = [hint_json(row) for row in rows[len(replaced) :]]
        realtime.publish_after_commit(uow, task.board_id, "hints", {"taskId": task.id, "hints": hints})
    uow.after_commit(lambda: realtime.publish_task_changes(uow.committed))


def _fresh(draft: HintDraft, decided: Sequence[Row]) -> HintDraft | None:
    """The draft without what the owner already decided for this content; None when nothing is left."""
    same_type = [d for d in decided if d.hint_type == draft.hint_type]
    if not same_type:
        return draft
    if draft.hint_type in SET_HINTS:
        taken = {e for d in same_type for e in elements(d.hint_type, d.data)}
        data = without_elements(draft.hint_type, draft.data, taken)
        return None if data is None else draft.model_copy(update={"data": data})
    key = value_key(draft.hint_type, draft.content, draft.data)
    return None if any(_key_of(d) == key for d in same_type) else draft


def _key_of(row: Row) -> str:
    return row.value_key or value_key(row.hint_type, row.content, row.data)


async def _record_analysis(
    uow: UnitOfWork, event: HintsProposedV2, realtime: RealtimeHub, board_id: str, replaced: dict[str, str | None]
) -> None:
    proposed = len(await repo.proposed_hints(uow.conn, event.task_id))
    now = utcnow()
    await repo.save_analysis(
        uow.conn, event.task_id, status="analysed", job_id=event.job_id, task_version=event.task_version,
        proposed=proposed, failed_agents=dict(event.failed_agents) or None, error=None, analysed_at=now,
    )  # fmt: skip
    data = {
        "taskId": event.task_id, "jobId": event.job_id, "status": "analysed", "proposed": proposed,
        "replaced": replaced, "failedAgents": dict(event.failed_agents),
    }  # fmt: skip
    realtime.publish_after_commit(uow, board_id, "analysis.completed", data)
    # The Worker sends no "done" progress of its own; the stream still ends each job's progress.
    done = {"taskId": event.task_id, "jobId": event.job_id, "stage": "done", "percent": 100, "status": "succeeded"}
    realtime.publish_after_commit(uow, board_id, "agent.progress", done)


async def record_failed_analysis(event: AnalysisFailedV1, uow: UnitOfWork) -> None:
    """A job that gave up: the task shows as failed, with the error, until an analysis succeeds."""
    if await repo.task_for_update(uow.conn, event.task_id) is None:
        return
    await repo.save_analysis(
        uow.conn, event.task_id, status="failed", job_id=event.job_id, task_version=None, proposed=0,
        failed_agents=None, error=event.error, analysed_at=utcnow(),
    )  # fmt: skip


async def get_analysis(task_id: str, user_id: str, uow: UnitOfWork) -> Row | None:
    await owned_task(uow.conn, task_id, user_id)
    return await repo.task_analysis(uow.conn, task_id)

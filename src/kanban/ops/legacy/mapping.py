"""How one legacy row becomes one row of the new schemas, applying the rules of findings.RULES.

Each mapper takes the legacy row, the run's context and the step's findings, and returns the
target row (keys are target column names), or None when a rule leaves the row out. It raises
InvalidRow when the row cannot be migrated at all.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from kanban.ops.legacy.context import LegacyContext
from kanban.ops.legacy.duration import duration_minutes
from kanban.ops.legacy.findings import Findings, InvalidRow

Row = Mapping[str, Any]
DEFAULT_BOARD_CONFIG: dict[str, Any] = {"stale_after_days": 7, "auto_apply_hints": False, "auto_apply_threshold": 0.9}
BRAIN_FIELDS = ("context", "constraints", "openQuestions", "taskBacklog", "researchPlan", "sources", "decisions",
                "risks", "deliverables", "history")  # fmt: skip


def _id(value: Any) -> str | None:
    return None if value is None else str(value)


def _ts(value: datetime | None) -> datetime | None:
    # Legacy timestamps are naive and written in UTC.
    return None if value is None else value.replace(tzinfo=UTC)


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _as_object(value: Any) -> dict[str, Any]:
    """Task metadata as an object, so a rule can add a key; a non-object value is kept under "legacy"."""
    if isinstance(value, dict):
        return value
    return {} if value is None else {"legacy": value}


def _fit(value: str | None, limit: int, what: str) -> str | None:
    if value is not None and len(value) > limit:
        raise InvalidRow(f"{what} is {len(value)} characters, the limit is {limit}")
    return value


def _parent(ctx: LegacyContext, kind: str, row_id: str | None, known: set[str] | None = None) -> str | None:
    if ctx.is_skipped(kind, row_id):
        raise InvalidRow(f"its {kind} {row_id} was left out")
    if known is not None and row_id is not None and row_id not in known:
        raise InvalidRow(f"its {kind} {row_id} does not exist")
    return row_id


def map_user(r: Row, ctx: LegacyContext, f: Findings) -> dict[str, Any]:
    uid = str(r["id"])
    if r["passwordHash"] is None:
        f.note("user-without-password", uid)
    if r["timezone"] is None:
        f.note("user-timezone-defaulted", uid)
    return {
        "id": uid,
        "email": _fit(r["email"], 320, "email"),
        "name": _fit(r["name"], 200, "name"),
        "password_hash": _fit(r["passwordHash"], 200, "password hash"),
        "timezone": _fit(r["timezone"] or "UTC", 64, "timezone"),
        # Boards do not exist yet when users are copied; the default board is linked afterwards.
        "default_board_id": None,
        "created_at": _ts(r["createdAt"]),
        "updated_at": _ts(r["updatedAt"]),
    }


def map_default_board(r: Row, ctx: LegacyContext, f: Findings) -> dict[str, Any] | None:
    board = _id(r["defaultBoardId"])
    if board is None or ctx.is_skipped("user", str(r["id"])) or ctx.is_skipped("board", board):
        return None
    return {"id": str(r["id"]), "default_board_id": board}


def board_config(raw: Any, board_id: str, f: Findings) -> dict[str, Any]:
    """The three board settings, under the snake_case keys the API reads; legacy keys were camelCase."""
    legacy = _json(raw)
    if not isinstance(legacy, dict):
        f.note("board-config-defaulted", board_id)
        return dict(DEFAULT_BOARD_CONFIG)
    config = dict(DEFAULT_BOARD_CONFIG)
    for key, value in legacy.items():
        name = _BOARD_KEYS.get(key)
        if name is None:
            f.note("board-config-key-dropped", board_id)
        elif _BOARD_CHECKS[name](value):
            config[name] = value
        else:
            f.note("board-config-value-replaced", board_id)
    return config


_BOARD_KEYS = {
    "staleAfterDays": "stale_after_days", "stale_after_days": "stale_after_days",
    "autoApplyHints": "auto_apply_hints", "auto_apply_hints": "auto_apply_hints",
    "autoApplyThreshold": "auto_apply_threshold", "auto_apply_threshold": "auto_apply_threshold",
}  # fmt: skip
_BOARD_CHECKS = {
    "stale_after_days": lambda v: isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 3650,
    "auto_apply_hints": lambda v: isinstance(v, bool),
    "auto_apply_threshold": lambda v: isinstance(v, int | float) and not isinstance(v, bool) and 0 <= v <= 1,
}


def map_board(r: Row, ctx: LegacyContext, f: Findings) -> dict[str, Any]:
    bid = str(r["id"])
    return {
        "id": bid,
        "owner_id": _parent(ctx, "user", str(r["ownerId"])),
        "name": _fit(r["name"], 200, "name"),
        "description": r["description"],
        "config": board_config(r["config"], bid, f),
        "version": 1,
        "created_at": _ts(r["createdAt"]),
        "updated_at": _ts(r["updatedAt"]),
    }


def map_column(r: Row, ctx: LegacyContext, f: Findings) -> dict[str, Any]:
    cid = str(r["id"])
    wip = r["wipLimit"]
    if wip is not None and wip <= 0:
        f.note("wip-limit-zero", cid)
        wip = None
    if wip is not None and ctx.tasks_per_column.get(cid, 0) > wip:
        f.note("column-over-wip-limit", cid)
    created = _ts(r["createdAt"])
    position = ctx.column_positions[cid]
    if position != r["position"]:
        f.note("column-position-renumbered", cid)
    return {
        "id": cid,
        "board_id": _parent(ctx, "board", str(r["boardId"])),
        "name": _fit(r["name"], 200, "name"),
        "type": str(r["type"]),
        "wip_limit": wip,
        "position": position,
        "created_at": created,
        "updated_at": created,  # legacy columns have no updatedAt
    }


def map_project(r: Row, ctx: LegacyContext, f: Findings) -> dict[str, Any]:
    pid = str(r["id"])
    if r["status"] is None:
        f.note("project-status-defaulted", pid)
    if pid not in ctx.brain_projects:
        f.note("project-without-brain", pid)
    return {
        "id": pid,
        "board_id": _parent(ctx, "board", str(r["boardId"])),
        "owner_id": _parent(ctx, "user", str(r["ownerId"])),
        "name": _fit(r["name"], 200, "name"),
        "description": r["description"],
        "desired_outcome": r["desiredOutcome"],
        "status": _fit(r["status"] or "active", 20, "status"),
        "version": 1,
        "created_at": _ts(r["createdAt"]),
        "updated_at": _ts(r["updatedAt"]),
    }


def map_tag(r: Row, ctx: LegacyContext, f: Findings) -> dict[str, Any] | None:
    tid = str(r["id"])
    if ctx.tag_survivor.get(tid, tid) != tid:
        f.note("tag-merged-case-duplicate", tid)
        return None
    name = _fit(r["name"], 100, "name")
    assert name is not None
    return {
        "id": tid,
        "board_id": _parent(ctx, "board", str(r["boardId"])),
        "name": name,
        "name_key": name.lower(),
        "color": _fit(r["color"] or "#94a3b8", 16, "color"),
        "version": 1,
        "created_at": _ts(r["createdAt"]),
        "updated_at": _ts(r["updatedAt"]),
    }


def map_task(r: Row, ctx: LegacyContext, f: Findings) -> dict[str, Any]:
    tid = str(r["id"])
    column = _parent(ctx, "column", str(r["columnId"]))
    column_type = ctx.column_types.get(column or "")
    if column_type is None:
        raise InvalidRow(f"its column {column} does not exist")
    metadata = _json(r["metadata"])
    # Only a DONE column means done (the API keeps isDone equal to "in a DONE column"); the flag
    # is what the old code forgot to clear when a task left DONE.
    is_done, completed_at = column_type == "DONE", _ts(r["completedAt"])
    if is_done:
        if not r["isDone"]:
            f.note("task-done-by-column", tid)
        if completed_at is None:  # counted whether the flag or the column made the task done
            f.note("task-completed-at-filled", tid)
    elif r["isDone"]:
        f.note("task-reopened-by-column", tid)
    elif completed_at is not None:
        f.note("task-completed-at-cleared", tid)
    if is_done:
        completed_at = completed_at or _ts(r["lastMovedAt"])
    elif completed_at is not None:
        metadata = {**_as_object(metadata), "legacyCompletedAt": completed_at.isoformat()}
        completed_at = None
    minutes = duration_minutes(r["duration"])
    if r["duration"] is not None and r["duration"].strip() and minutes is None:
        f.note("task-duration-unreadable", tid)
        metadata = {**_as_object(metadata), "legacyDuration": r["duration"]}
    position = ctx.task_positions[tid]
    if position != r["position"]:
        f.note("task-position-renumbered", tid)
    if r["stale"]:
        f.note("task-stale-dropped", tid)
    project = _id(r["projectId"])
    return {
        "id": tid,
        "board_id": _parent(ctx, "board", str(r["boardId"])),
        "column_id": column,
        "project_id": None if ctx.is_skipped("project", project) else project,
        "owner_id": _parent(ctx, "user", str(r["ownerId"])),
        "title": _fit(r["title"], 500, "title"),
        "description": r["description"],
        "context": r["context"],
        "waiting_for": _fit(r["waitingFor"], 500, "waitingFor"),
        "due_at": _ts(r["dueAt"]),
        "priority": r["priority"],
        "duration_minutes": minutes,
        "needs_breakdown": r["needsBreakdown"],
        "metadata": metadata,
        "is_done": is_done,
        "position": position,
        "version": 1,
        "wip_override": False,
        "created_at": _ts(r["createdAt"]),
        "updated_at": _ts(r["updatedAt"]),
        "completed_at": completed_at,
        "last_moved_at": _ts(r["lastMovedAt"]),
        "clarified_at": None,
    }


def map_checklist_item(r: Row, ctx: LegacyContext, f: Findings) -> dict[str, Any]:
    iid = str(r["id"])
    position = ctx.checklist_positions[iid]
    if position != r["position"]:
        f.note("checklist-position-renumbered", iid)
    return {
        "id": iid,
        "task_id": _parent(ctx, "task", str(r["taskId"])),
        "title": _fit(r["title"], 500, "title"),
        "is_done": r["isDone"],
        "position": position,
        "created_at": _ts(r["createdAt"]),
        "updated_at": _ts(r["updatedAt"]),
    }


class TaskTagMapper:
    """Task tags come in key order (taskId), so duplicates created by a merge are next to each other."""

    def __init__(self) -> None:
        self._task: str | None = None
        self._seen: dict[str, str] = {}  # surviving tag -> the legacy tag of the task tag kept for it

    def __call__(self, r: Row, ctx: LegacyContext, f: Findings) -> dict[str, Any] | None:
        task, tag = str(r["taskId"]), str(r["tagId"])
        survivor = ctx.tag_survivor.get(tag, tag)
        row_id = f"{task}/{tag}"
        _parent(ctx, "task", task)
        _parent(ctx, "tag", survivor)
        if task != self._task:
            self._task, self._seen = task, {}
        if survivor in self._seen:
            kept = self._seen[survivor]
            if tag == survivor and kept != tag:
                # The survivor's own task tag came after one repointed to it: that earlier row is the
                # duplicate the listing must name, never the row that survives unchanged.
                f.unnote("task-tag-repointed", f"{task}/{kept}")
                f.note("task-tag-duplicate-dropped", f"{task}/{kept}")
                self._seen[survivor] = tag
                return None
            f.note("task-tag-duplicate-dropped", row_id)
            return None
        self._seen[survivor] = tag
        if survivor != tag:
            f.note("task-tag-repointed", row_id)
        return {"task_id": task, "tag_id": survivor}


def map_task_event(r: Row, ctx: LegacyContext, f: Findings) -> dict[str, Any]:
    return {
        "id": str(r["id"]),
        "task_id": str(r["taskId"]),
        "board_id": _parent(ctx, "board", str(r["boardId"]), ctx.board_ids),
        "type": str(r["type"]),
        "from_column_id": _id(r["fromColumnId"]),
        "to_column_id": _id(r["toColumnId"]),
        # The legacy log has no types: the columns' types at split time are the best left.
        "from_column_type": ctx.column_types.get(str(r["fromColumnId"])) if r["fromColumnId"] else None,
        "to_column_type": ctx.column_types.get(str(r["toColumnId"])) if r["toColumnId"] else None,
        "payload": _json(r["payload"]),
        "triggered_by": _fit(r["triggeredBy"], 100, "triggeredBy"),
        "created_at": _ts(r["createdAt"]),
    }


def map_rule(r: Row, ctx: LegacyContext, f: Findings) -> dict[str, Any]:
    # Rules had no foreign keys in the legacy schema: their board and owner may be gone.
    return {
        "id": str(r["id"]),
        "board_id": _parent(ctx, "board", str(r["boardId"]), ctx.board_ids),
        "owner_id": _parent(ctx, "user", str(r["ownerId"]), ctx.user_ids),
        "name": _fit(r["name"], 200, "name"),
        "description": r["description"],
        "enabled": r["enabled"],
        "priority": r["priority"],
        "trigger": _json(r["trigger"]),
        "conditions": _json(r["conditions"]),
        "actions": _json(r["actions"]),
        "last_run_at": _ts(r["lastRunAt"]),
        "created_at": _ts(r["createdAt"]),
        "updated_at": _ts(r["updatedAt"]),
    }


def map_recurring_template(r: Row, ctx: LegacyContext, f: Findings) -> dict[str, Any]:
    return {
        "id": str(r["id"]),
        "board_id": _parent(ctx, "board", str(r["boardId"]), ctx.board_ids),
        "owner_id": _parent(ctx, "user", str(r["ownerId"]), ctx.user_ids),
        "name": _fit(r["name"], 200, "name"),
        "description": r["description"],
        "payload": _json(r["payload"]),
        "rrule": _fit(r["rrule"], 500, "rrule"),
        "timezone": _fit(r["timezone"], 64, "timezone"),
        "next_run_at": _ts(r["nextRunAt"]),
        "last_run_at": _ts(r["lastRunAt"]),
        "is_active": r["isActive"],
        "created_at": _ts(r["createdAt"]),
        "updated_at": _ts(r["updatedAt"]),
    }


def map_hint(r: Row, ctx: LegacyContext, f: Findings) -> dict[str, Any]:
    hid = str(r["id"])
    confidence = r["confidence"]
    if confidence is not None and not 0.0 <= confidence <= 1.0:
        f.note("hint-confidence-clamped", hid)
        confidence = min(1.0, max(0.0, confidence))
    status, dismissed_at = "proposed", None
    if r["applied"]:
        # Dismiss set the same flag as apply. "dismissed" re-applies nothing and offers no undo
        # that has nothing to undo; the task already shows whatever was really applied.
        f.note("hint-applied-ambiguous", hid)
        status, dismissed_at = "dismissed", _ts(r["updatedAt"])
    return {
        "id": hid,
        "task_id": _parent(ctx, "task", str(r["taskId"])),
        "draft_id": None,
        "job_id": None,
        "agent_id": _fit(r["agentId"], 100, "agentId"),
        "hint_type": _fit(r["hintType"], 32, "hintType"),
        "title": _fit(r["title"], 500, "title"),
        "content": r["content"],
        "data": _json(r["data"]),
        "confidence": confidence,
        "untrusted": False,
        "status": status,
        "auto_applied": False,
        "undo": None,
        "applied_at": None,
        "dismissed_at": dismissed_at,
        "created_at": _ts(r["createdAt"]),
        "updated_at": _ts(r["updatedAt"]),
    }


def map_email_action_token(r: Row, ctx: LegacyContext, f: Findings) -> dict[str, Any]:
    return {
        "id": str(r["id"]),
        "task_id": _parent(ctx, "task", str(r["taskId"])),
        "user_id": _parent(ctx, "user", str(r["userId"])),
        "token": _fit(r["token"], 64, "token"),
        "action": _fit(r["action"], 32, "action"),
        "expires_at": _ts(r["expiresAt"]),
        "used_at": _ts(r["usedAt"]),
        "created_at": _ts(r["createdAt"]),
    }


def map_brain(r: Row, ctx: LegacyContext, f: Findings) -> dict[str, Any]:
    pid = str(r["projectId"])
    _parent(ctx, "project", pid)
    memory = {}
    for name in BRAIN_FIELDS:
        value = _json(r[name])
        if value is not None:
            memory[name] = value
    if len(memory) < len(BRAIN_FIELDS):
        f.note("brain-null-fields-omitted", pid)
    return {
        "project_id": pid,
        "objective": r["objective"] or "",
        "memory": memory,
        "created_at": _ts(r["createdAt"]),
        "updated_at": _ts(r["updatedAt"]),
    }


def map_worker_copy_brain(r: Row, ctx: LegacyContext, f: Findings) -> dict[str, Any] | None:
    pid = str(r["projectId"])
    if pid in ctx.brain_projects:
        return None  # the schema of record has this project's memory
    if pid not in ctx.project_ids:
        f.note("worker-copy-orphan-ignored", str(r["id"]))
        return None
    f.note("brain-from-worker-copy", pid)
    return map_brain(r, ctx, f)

"""Task commands: create, update, move, reorder, delete. Each runs in one unit of work and commits it.

Every path that puts a task in a column locks that column's row first (before it writes anything),
then checks the column's WIP limit and picks a rank, so two concurrent requests cannot both take the
last slot. Locks are taken in one order everywhere (board, then column, then task), so nothing can
deadlock, and a move writes only the moved task's row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from pydantic.alias_generators import to_camel
from pydantic_core import to_jsonable_python
from sqlalchemy import Row, bindparam, select, update

from kanban.api.errors import Conflict, InvalidInput, NotFound, PreconditionFailed
from kanban.api.ownership import owned_board, owned_task
from kanban.api.tables import boards, checklist_items, projects, task_events, task_tags, tasks
from kanban.api.tags.state import find_or_create_tags
from kanban.api.tasks import repository as repo
from kanban.api.tasks.rules import check_wip, clamp_position, done_transition, rank_between
from kanban.api.tasks.schemas import (
    ChecklistProgress,
    CreateTaskRequest,
    TagRef,
    TaskEventOut,
    TaskOut,
    UpdateTaskRequest,
)
from kanban.api.tasks.state import (
    add_task_event,
    add_task_events,
    announce_change,
    record_task_change,
    state_of,
    task_event_row,
)
from kanban.contracts.events import TaskCreatedV1, TaskDeletedV1, TaskState
from kanban.db.async_core import AsyncConnection
from kanban.db.types import new_id, utcnow
from kanban.messaging.unit_of_work import UnitOfWork

SIMPLE_FIELDS = (
    "title",
    "description",
    "context",
    "project_id",
    "due_at",
    "priority",
    "duration_minutes",
    "waiting_for",
    "needs_breakdown",
    "metadata",
)
NOT_NULL_FIELDS = ("title", "needs_breakdown")

# Built once (a statement built per request costs more CPU than SQLAlchemy's cached compile of it):
# the UPDATE sets the columns named by its parameters, compiled once per set of columns.
INSERT_TASK = tasks.insert()
UPDATE_TASK = update(tasks).where(tasks.c.id == bindparam("updated_task_id"))


def triggered_by(user_id: str) -> str:
    return f"user:{user_id}"


def check_if_match(if_match: str | None, version: int) -> None:
    """A stale If-Match (the task's version, as its ETag) is 412; '*' or no header always matches."""
    if if_match is None or if_match.strip() == "*":
        return
    tags = [t.strip().removeprefix("W/").strip('"') for t in if_match.split(",")]
    if str(version) not in tags:
        raise PreconditionFailed(f"the task is at version {version}, not {if_match}", currentVersion=version)


def etag(version: int) -> str:
    return f'"{version}"'


# --- commands -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CreateTask:
    user_id: str
    board_id: str
    body: CreateTaskRequest
    source: str | None = None  # where it was captured (tasks.source): web, api, email, ..., template, rule


@dataclass(frozen=True)
class UpdateTask:
    user_id: str
    task_id: str
    body: UpdateTaskRequest
    if_match: str | None = None


@dataclass(frozen=True)
class MoveTask:
    user_id: str
    task_id: str
    column_id: str
    position: int | None = None
    wip_override: bool = False
    if_match: str | None = None


@dataclass(frozen=True)
class ReorderTask:
    user_id: str
    task_id: str
    position: int


@dataclass(frozen=True)
class DeleteTask:
    user_id: str
    task_id: str
    if_match: str | None = None


# --- shared steps -------------------------------------------------------------------------


async def target_column(conn: AsyncConnection, board_id: str, column_id: str, field: str = "columnId") -> Row[Any]:
    """The column a task goes to, locked for the rest of the unit of work (see the module's docstring)."""
    column = await repo.column_on_board(conn, board_id, column_id, for_update=True)
    if column is None:
        raise InvalidInput(f"column {column_id} is not on this board", field=field)
    return column


async def check_project(conn: AsyncConnection, board_id: str, project_id: str | None) -> None:
    if project_id is None:
        return
    found = (
        await conn.execute(select(projects.c.id).where(projects.c.id == project_id, projects.c.board_id == board_id))
    ).first()
    if found is None:
        raise InvalidInput(f"project {project_id} is not on this board", field="projectId")


@dataclass(frozen=True)
class Placement:
    column_changed: bool
    override_used: bool
    transition: str | None
    index: int
    values: dict[str, Any]  # what was written to the task's row


async def place_task(
    conn: AsyncConnection,
    task: Row[Any],
    source: Row[Any],
    target: Row[Any],
    *,
    position: int | None,
    override: bool,
    now: datetime,
) -> Placement:
    """`place` for a caller that has the source column and no `Room` yet (one statement reads it)."""
    room = await repo.room_in_column(conn, target.id, position=position, excluding=task.id)
    return await place(conn, task, source.type, target, room, position=position, override=override, now=now)


async def place(
    conn: AsyncConnection,
    task: Row[Any],
    source_type: str | None,
    target: Row[Any],
    room: repo.Room,
    *,
    position: int | None,
    override: bool,
    now: datetime,
    also: dict[str, Any] | None = None,
    at_commit: UnitOfWork | None = None,
) -> Placement:
    """Put an existing task in `target` (already locked) at dense place `position`: WIP check, a rank
    between the new neighbours (from `room`), done flag, last_moved_at. Writes the task's row only,
    with `also` (a version bump) in the same UPDATE: now, or `at_commit` of that unit of work for a
    caller that does not read the row again."""
    changed = task.column_id != target.id
    used = check_wip(target.name, target.wip_limit, room.others, override) if changed else False
    at = clamp_position(position, room.others)
    rank = await placed_rank(conn, target.id, room, at, excluding=task.id)
    values: dict[str, Any] = {"column_id": target.id, "position": rank, **(also or {})}
    transition = None
    if changed:
        values.update(last_moved_at=now, wip_override=used)
        transition = done_transition(source_type, target.type)
        if transition == "completed":
            values.update(is_done=True, completed_at=now)
        elif transition == "reopened":
            values.update(is_done=False, completed_at=None)
    if at_commit is not None:
        at_commit.update_at_commit(tasks, "id", task.id, values)
    else:
        await conn.execute(UPDATE_TASK, {**values, "updated_task_id": task.id})
    return Placement(changed, used, transition, at, values)


async def placed_rank(
    conn: AsyncConnection, column_id: str, room: repo.Room, at: int, *, excluding: str | None = None
) -> float:
    """The rank that puts a task at dense place `at` of the column `room` describes (renumbering the
    column first in the rare case its ranks ran out of room there)."""
    if at >= room.others:
        rank = rank_between(room.last, None)
    else:
        rank = rank_between(room.before if at > 0 else None, room.after)
    if rank is None:
        await repo.renumber_column(conn, column_id)
        rank = rank_between(*await repo.neighbour_ranks(conn, column_id, at, room.others, excluding=excluding))
    assert rank is not None, "an evenly numbered column always has room between neighbours"
    return rank


async def log_transition(uow: UnitOfWork, task: Row[Any], placement: Placement, by: str) -> None:
    if placement.transition is not None:
        await add_task_event(uow, task_id=task.id, board_id=task.board_id, kind=placement.transition, triggered_by=by)


def change_payload(changes: dict[str, tuple[Any, Any]]) -> dict[str, Any]:
    return {
        "changes": {
            to_camel(k): {"old": to_jsonable_python(o), "new": to_jsonable_python(n)} for k, (o, n) in changes.items()
        }
    }


# --- handlers -----------------------------------------------------------------------------


@dataclass(frozen=True)
class NewTask:
    """A task just inserted: the values written and what its response needs besides them."""

    values: dict[str, Any]
    column_type: str
    index: int
    board_config: dict[str, Any] | None
    details: repo.Details


async def create_task(cmd: CreateTask, uow: UnitOfWork) -> TaskOut:
    new = await insert_task(cmd, uow)
    out = await repo.task_out(uow.conn, new.values, new.column_type, new.index, new.board_config, new.details,
                              new.values["created_at"])  # fmt: skip
    await uow.commit()
    return out


async def add_task(cmd: CreateTask, uow: UnitOfWork, *, checklist: Sequence[str] = (), by: str | None = None) -> str:
    """Create a task (with its first checklist items) inside the caller's unit of work; no commit."""
    return str((await insert_task(cmd, uow, checklist=checklist, by=by)).values["id"])


async def insert_task(
    cmd: CreateTask, uow: UnitOfWork, *, checklist: Sequence[str] = (), by: str | None = None
) -> NewTask:
    """The statements of a create: lock the column (with the board, ownership and project checks),
    read its count and last rank, insert the task, its tags and checklist, its history row; the
    event's state is built from the values written, not read back."""
    conn, body, now = uow.conn, cmd.body, utcnow()
    column = await repo.lock_column_for_new_task(conn, cmd.board_id, cmd.user_id, body.column_id, body.project_id)
    if column is None:
        await owned_board(conn, cmd.board_id, cmd.user_id)  # 404 unless the board is the caller's
        if body.column_id is None:
            raise InvalidInput("the board has no INPUT column", field="columnId")
        raise InvalidInput(f"column {body.column_id} is not on this board", field="columnId")
    if not column.project_ok:
        raise InvalidInput(f"project {body.project_id} is not on this board", field="projectId")
    room = await repo.room_in_column(conn, column.id)
    used = check_wip(column.name, column.wip_limit, room.others, body.wip_override)
    rank = await placed_rank(conn, column.id, room, room.others)
    done = column.type == "DONE"
    values: dict[str, Any] = {
        "id": new_id(), "board_id": cmd.board_id, "column_id": column.id, "project_id": body.project_id,
        "owner_id": cmd.user_id, "title": body.title, "description": body.description, "context": body.context,
        "waiting_for": body.waiting_for, "due_at": body.due_at, "priority": body.priority,
        "duration_minutes": body.duration_minutes, "needs_breakdown": bool(body.needs_breakdown),
        "metadata": body.metadata, "is_done": done, "position": rank, "version": 1, "wip_override": used,
        "created_at": now, "updated_at": now, "completed_at": now if done else None, "last_moved_at": now,
        "clarified_at": None, "source": cmd.source,
    }  # fmt: skip
    task_id = values["id"]
    await conn.execute(INSERT_TASK, values)
    details = repo.NO_DETAILS
    if body.tags:
        tag_rows = sorted(await find_or_create_tags(uow, cmd.board_id, body.tags), key=lambda t: t.name_key)
        await conn.execute(task_tags.insert(), [{"task_id": task_id, "tag_id": t.id} for t in tag_rows])
        details = replace(details, tags=[TagRef(id=t.id, name=t.name, color=t.color) for t in tag_rows])
    if checklist:
        await conn.execute(
            checklist_items.insert(),
            [
                {"id": new_id(), "task_id": task_id, "title": title, "is_done": False, "position": n,
                 "created_at": now, "updated_at": now}
                for n, title in enumerate(checklist)
            ],
        )  # fmt: skip
        details = replace(details, checklist_titles=list(checklist), progress=ChecklistProgress(total=len(checklist)))
    add_task_events(
        uow,
        [
            task_event_row(
                task_id=task_id, board_id=cmd.board_id, kind="created",
                payload={"title": body.title, "wipOverride": used}, triggered_by=by or triggered_by(cmd.user_id),
                to_column_id=column.id, to_column_type=column.type,
            )
        ],
    )  # fmt: skip
    state = state_of(values, column.type, [t.name for t in details.tags], details.checklist_titles)
    uow.record(TaskCreatedV1(task=state), aggregate_id=task_id, aggregate_version=1)
    return NewTask(values, column.type, room.others, column.board_config, details)


async def first_column_of_type(conn: AsyncConnection, board_id: str, column_type: str) -> Row[Any]:
    for column in await repo.board_columns(conn, board_id):
        if column.type == column_type:
            return column
    raise InvalidInput(f"the board has no {column_type} column", field="columnId")


async def update_task(cmd: UpdateTask, uow: UnitOfWork) -> TaskOut:
    if await change_task(cmd, uow):
        out = await repo.load_task(uow.conn, cmd.task_id)
        await uow.commit()
        return out
    return await repo.load_task(uow.conn, cmd.task_id)


async def change_task(cmd: UpdateTask, uow: UnitOfWork, *, by: str | None = None) -> bool:
    """Apply an update inside the caller's unit of work (no commit); returns whether anything changed.

    `by` names who changed it in the task's history (the owner unless an automation rule acts).
    """
    conn, body, now = uow.conn, cmd.body, utcnow()
    task = await owned_task(conn, cmd.task_id, cmd.user_id)
    check_if_match(cmd.if_match, task.version)
    given = body.model_fields_set
    wants_column = body.column_id if "column_id" in given and body.column_id is not None else None
    placing = wants_column is not None or "position" in given
    # Lock order: the target column, then the task (see the module's docstring).
    target = await target_column(conn, task.board_id, wants_column or task.column_id) if placing else None
    task = await owned_task(conn, cmd.task_id, cmd.user_id, for_update=True)  # re-read under the lock
    check_if_match(cmd.if_match, task.version)
    changes: dict[str, tuple[Any, Any]] = {}
    for field in SIMPLE_FIELDS:
        if field not in given:
            continue
        new = getattr(body, field)
        if new is None and field in NOT_NULL_FIELDS:
            raise InvalidInput(f"{to_camel(field)} cannot be null", field=to_camel(field))
        if getattr(task, field) != new:
            changes[field] = (getattr(task, field), new)
    if "project_id" in changes:
        await check_project(conn, task.board_id, body.project_id)
    placement: Placement | None = None
    source = await repo.column_by_id(conn, task.column_id)
    if target is not None:
        if wants_column is None:
            target = source  # the task may have moved since the first read: reorder where it is now
        old_index = await repo.index_in_column(conn, task)
        placement = await place_task(
            conn, task, source, target, position=body.position, override=body.wip_override, now=now
        )
        if placement.column_changed:
            changes["column_id"] = (source.id, target.id)
        elif placement.index != old_index:
            changes["position"] = (old_index, placement.index)
    if changes.keys() - {"column_id", "position"}:
        fields = {f: n for f, (_, n) in changes.items() if f not in ("column_id", "position")}
        await conn.execute(UPDATE_TASK, {**fields, "updated_task_id": task.id})
    if "tags" in given:
        old_tags, new_tags = await repo.task_tag_names(conn, task.id), body.tags or []
        if sorted(t.lower() for t in old_tags) != sorted(t.lower() for t in new_tags):
            tag_rows = await find_or_create_tags(uow, task.board_id, new_tags)
            await repo.replace_task_tags(conn, task.id, [t.id for t in tag_rows])
            changes["tags"] = (old_tags, sorted(new_tags, key=str.lower))
    if not changes:
        return False
    moved = placement is not None and placement.column_changed
    payload = change_payload(changes)
    if placement is not None:
        payload["wipOverride"] = placement.override_used
    by = by or triggered_by(cmd.user_id)
    await record_task_change(
        uow,
        task.id,
        kind="moved" if moved and set(changes) == {"column_id"} else "updated",
        changed_fields=list(changes),
        payload=payload,
        triggered_by=by,
        from_column_id=source.id if moved else None,
        to_column_id=changes["column_id"][1] if moved else None,
        from_column_type=source.type if moved else None,
        to_column_type=target.type if moved and target is not None else None,
    )
    if placement is not None:
        await log_transition(uow, task, placement, by)
    return True


async def move_task(cmd: MoveTask, uow: UnitOfWork) -> TaskOut:
    target = await repo.lock_column_for_task(uow.conn, cmd.task_id, cmd.user_id, cmd.column_id)
    if target is None:
        await owned_task(uow.conn, cmd.task_id, cmd.user_id)  # 404 unless the task is the caller's
        raise InvalidInput(f"column {cmd.column_id} is not on this board", field="columnId")
    task = await _locked_task(uow.conn, cmd.task_id, target.board_id)
    check_if_match(cmd.if_match, task.version)
    return await _relocate(uow, task, target, cmd.position, cmd.wip_override, triggered_by(cmd.user_id))


async def reorder_task(cmd: ReorderTask, uow: UnitOfWork) -> TaskOut:
    conn = uow.conn
    seen = await owned_task(conn, cmd.task_id, cmd.user_id)
    column = await repo.lock_column_for_task(conn, cmd.task_id, cmd.user_id, seen.column_id)
    task = await _locked_task(conn, cmd.task_id, seen.board_id)
    if column is None or task.column_id != column.id:  # moved elsewhere meanwhile: reorder where it is now
        column = await repo.lock_column_for_task(conn, cmd.task_id, cmd.user_id, task.column_id)
        task = await _locked_task(conn, cmd.task_id, seen.board_id)
    if column is None or task.column_id != column.id:
        raise Conflict("the task moved while it was reordered; retry")
    return await _relocate(uow, task, column, cmd.position, False, triggered_by(cmd.user_id))


async def _locked_task(conn: AsyncConnection, task_id: str, board_id: str) -> Row[Any]:
    """The task's row under its lock (taken after the column's: the one lock order)."""
    task = await repo.lock_task_row(conn, task_id)
    if task is None or task.board_id != board_id:  # deleted meanwhile
        raise NotFound(f"task {task_id} not found")
    return task


async def _relocate(
    uow: UnitOfWork, task: Row[Any], target: Row[Any], position: int | None, override: bool, by: str
) -> TaskOut:
    """A move or reorder of a locked task into its locked `target`, then commit: one read of the
    column (count, neighbours, the old place) with the task's tags and checklist for the event; the
    task's UPDATE (with the version bump) and its history go with the events at commit. Nothing
    reads the row in between: the event and the response are built from the values written."""
    conn, now = uow.conn, utcnow()
    room, details = await repo.room_and_details(conn, target.id, position=position, task=task)
    old_index = room.old_index if room.old_index is not None else 0
    unchanged = task.column_id == target.id and clamp_position(position, room.others) == old_index
    if unchanged:  # the same column and place: nothing to write, no event
        new, index = dict(task._mapping), old_index
    else:
        bump = {"version": task.version + 1, "updated_at": now}
        placement = await place(conn, task, room.source_type, target, room, position=position, override=override,
                                now=now, also=bump, at_commit=uow)  # fmt: skip
        new, index = {**task._mapping, **placement.values}, placement.index
        state = state_of(new, target.type, [t.name for t in details.tags], details.checklist_titles)
        await _log_relocation(uow, state, task, target, room, placement, by)
    out = await repo.task_out(conn, new, target.type, index, target.board_config, details, now)
    await uow.commit()
    return out


async def _log_relocation(
    uow: UnitOfWork, state: TaskState, task: Row[Any], target: Row[Any], room: repo.Room, placement: Placement, by: str
) -> None:
    """The history rows (one INSERT) and the event of a move between columns or a reorder within one."""
    where = {"task_id": task.id, "board_id": task.board_id, "triggered_by": by}
    if placement.column_changed:
        fields = ["column_id", "position"] + (["is_done", "completed_at"] if placement.transition else [])
        payload = {"wipOverride": placement.override_used, "fromPosition": room.old_index}
        columns = {"from_column_id": task.column_id, "to_column_id": target.id}
        rows = [
            task_event_row(**where, kind="moved", payload={"changedFields": fields, **payload}, **columns,
                           from_column_type=room.source_type, to_column_type=target.type)
        ]  # fmt: skip
        if placement.transition is not None:
            rows.append(task_event_row(**where, kind=placement.transition))
        add_task_events(uow, rows)
        announce_change(uow, state, "moved", fields, payload, task.column_id, target.id)
    else:
        payload = change_payload({"position": (room.old_index, placement.index)})
        rows = [task_event_row(**where, kind="updated", payload={"changedFields": ["position"], **payload})]
        add_task_events(uow, rows)
        announce_change(uow, state, "updated", ["position"], payload, None, None)


async def remove_task(uow: UnitOfWork, task: Row[Any], by: str, payload: dict[str, Any] | None = None) -> None:
    """Delete a task inside the caller's unit of work: history row, its rows, TaskDeletedV1."""
    conn = uow.conn
    await add_task_event(
        uow,
        task_id=task.id,
        board_id=task.board_id,
        kind="deleted",
        payload={"title": task.title, **(payload or {})},
        triggered_by=by,
        from_column_id=task.column_id,
    )
    await conn.execute(tasks.delete().where(tasks.c.id == task.id))  # ranks are sparse: nobody else moves
    uow.record(
        TaskDeletedV1(task_id=task.id, board_id=task.board_id), aggregate_id=task.id, aggregate_version=task.version + 1
    )


async def delete_task(cmd: DeleteTask, uow: UnitOfWork) -> None:
    conn = uow.conn
    task = await owned_task(conn, cmd.task_id, cmd.user_id, for_update=True)
    check_if_match(cmd.if_match, task.version)
    await remove_task(uow, task, triggered_by(cmd.user_id))
    await uow.commit()


async def task_history(
    conn: AsyncConnection, user_id: str, task_id: str, limit: int, offset: int
) -> tuple[list[TaskEventOut], int]:
    """The task's log, readable after the task is deleted (while its board is the caller's)."""
    owned = (
        await conn.execute(
            select(task_events.c.id)
            .join(boards, boards.c.id == task_events.c.board_id)
            .where(task_events.c.task_id == task_id, boards.c.owner_id == user_id)
            .limit(1)
        )
    ).first()
    if owned is None:
        await owned_task(conn, task_id, user_id)  # 404 unless it exists and is the caller's
    return await repo.event_page(conn, task_events.c.task_id == task_id, limit, offset)

"""A task's full state for events, and the one way to record a change to an existing task.

Every change to a task bumps its version, writes a `task_events` row and records the matching
event with the task's whole new state, all on the same unit of work. Other aggregates that
change a task (checklists, tags, hints) call `record_task_change` after their own writes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from pydantic_core import to_jsonable_python
from sqlalchemy import select, update

from kanban.api.errors import NotFound
from kanban.api.tables import checklist_items, columns, tags, task_events, task_tags, tasks
from kanban.contracts.events import ColumnType, TaskMovedV1, TaskState, TaskUpdatedV1
from kanban.db.async_core import AsyncConnection
from kanban.db.types import new_id, utcnow
from kanban.messaging.unit_of_work import UnitOfWork


async def task_state(conn: AsyncConnection, task_id: str) -> TaskState:
    """The task as the Worker sees it: column type, tag names, checklist titles (three statements)."""
    row = (
        await conn.execute(
            select(tasks, columns.c.type.label("column_type"))
            .join(columns, columns.c.id == tasks.c.column_id)
            .where(tasks.c.id == task_id)
        )
    ).first()
    if row is None:
        raise NotFound(f"task {task_id} not found")
    tag_names = (
        await conn.execute(
            select(tags.c.name)
            .join(task_tags, task_tags.c.tag_id == tags.c.id)
            .where(task_tags.c.task_id == task_id)
            .order_by(tags.c.name_key)
        )
    ).scalars()
    checklist = (
        await conn.execute(
            select(checklist_items.c.title)
            .where(checklist_items.c.task_id == task_id)
            .order_by(checklist_items.c.position, checklist_items.c.created_at)
        )
    ).scalars()
    return state_of(dict(row._mapping), row.column_type, tuple(tag_names), tuple(checklist))


def state_of(
    task: Mapping[str, Any], column_type: str, tag_names: Sequence[str], checklist: Sequence[str]
) -> TaskState:
    """The task's state from a tasks row (or the values just written), without reading it back."""
    return TaskState(
        task_id=task["id"],
        board_id=task["board_id"],
        owner_id=task["owner_id"],
        column_id=task["column_id"],
        column_type=cast(ColumnType, column_type),
        title=task["title"],
        description=task["description"],
        context=task["context"],
        priority=task["priority"],
        duration_minutes=task["duration_minutes"],
        due_at=task["due_at"],
        project_id=task["project_id"],
        waiting_for=task["waiting_for"],
        needs_breakdown=bool(task["needs_breakdown"]),
        is_done=bool(task["is_done"]),
        tags=tuple(tag_names),
        checklist=tuple(checklist),
        version=task["version"],
        updated_at=task["updated_at"],
    )


def task_event_row(
    *,
    task_id: str,
    board_id: str,
    kind: str,
    payload: dict[str, Any] | None = None,
    triggered_by: str,
    from_column_id: str | None = None,
    to_column_id: str | None = None,
    from_column_type: str | None = None,
    to_column_type: str | None = None,
) -> dict[str, Any]:
    """One task_events row, for a caller that knows the column types (see `add_task_event`)."""
    return {
        "id": new_id(),
        "task_id": task_id,
        "board_id": board_id,
        "type": kind,
        "from_column_id": from_column_id,
        "to_column_id": to_column_id,
        "from_column_type": from_column_type,
        "to_column_type": to_column_type,
        "payload": to_jsonable_python(payload) if payload is not None else None,
        "triggered_by": triggered_by,
        "created_at": utcnow(),
    }


def add_task_events(uow: UnitOfWork, rows: Sequence[dict[str, Any]]) -> None:
    """Append history rows, written at commit with the change's events (nothing reads them back in
    the transaction that writes them; on PostgreSQL they ride in the events statement)."""
    uow.append_at_commit(task_events, rows)


async def add_task_event(
    uow: UnitOfWork,
    *,
    task_id: str,
    board_id: str,
    kind: str,
    payload: dict[str, Any] | None = None,
    triggered_by: str,
    from_column_id: str | None = None,
    to_column_id: str | None = None,
    from_column_type: str | None = None,
    to_column_type: str | None = None,
) -> None:
    """Append one row to the task's history (no version bump, no event: the caller does those).

    The from/to column types are stored with the ids, so history keeps the type a column had at
    the time; a caller that has the column rows passes them, otherwise they are looked up here.
    """
    missing = [c for c, t in ((from_column_id, from_column_type), (to_column_id, to_column_type)) if c and not t]
    if missing:
        found = dict(
            (await uow.conn.execute(select(columns.c.id, columns.c.type).where(columns.c.id.in_(missing)))).all()
        )
        from_column_type = from_column_type or (found.get(from_column_id) if from_column_id else None)
        to_column_type = to_column_type or (found.get(to_column_id) if to_column_id else None)
    add_task_events(
        uow,
        [
            task_event_row(
                task_id=task_id, board_id=board_id, kind=kind, payload=payload, triggered_by=triggered_by,
                from_column_id=from_column_id, to_column_id=to_column_id,
                from_column_type=from_column_type, to_column_type=to_column_type,
            )
        ],
    )  # fmt: skip


async def record_task_change(
    uow: UnitOfWork,
    task_id: str,
    *,
    kind: str,
    changed_fields: Sequence[str],
    payload: dict[str, Any] | None = None,
    triggered_by: str,
    from_column_id: str | None = None,
    to_column_id: str | None = None,
    from_column_type: str | None = None,
    to_column_type: str | None = None,
) -> TaskState:
    """Bump the task's version, log `kind` in task_events and record TaskUpdatedV1 (TaskMovedV1 for "moved").

    `payload` is stored in the task_events row together with `changedFields`; for a move,
    `payload["wipOverride"]` is carried on the event. Returns the task's new state.
    """
    conn = uow.conn
    now = utcnow()
    result = await conn.execute(
        update(tasks)
        .where(tasks.c.id == task_id)
        .values(version=tasks.c.version + 1, updated_at=now)
        .returning(tasks.c.board_id)
    )
    board_id = result.scalar_one_or_none()
    if board_id is None:
        raise NotFound(f"task {task_id} not found")
    await add_task_event(
        uow,
        task_id=task_id,
        board_id=board_id,
        kind=kind,
        payload={"changedFields": list(changed_fields), **(payload or {})},
        triggered_by=triggered_by,
        from_column_id=from_column_id,
        to_column_id=to_column_id,
        from_column_type=from_column_type,
        to_column_type=to_column_type,
    )
    state = await task_state(conn, task_id)
    announce_change(uow, state, kind, changed_fields, payload, from_column_id, to_column_id)
    return state


def announce_change(
    uow: UnitOfWork,
    state: TaskState,
    kind: str,
    changed_fields: Sequence[str],
    payload: dict[str, Any] | None,
    from_column_id: str | None,
    to_column_id: str | None,
) -> None:
    """Record TaskMovedV1 for a move between columns, TaskUpdatedV1 for any other change."""
    if kind == "moved" and from_column_id is not None and to_column_id is not None:
        event: TaskMovedV1 | TaskUpdatedV1 = TaskMovedV1(
            task=state,
            from_column_id=from_column_id,
            to_column_id=to_column_id,
            wip_override=bool((payload or {}).get("wipOverride", False)),
        )
    else:
        event = TaskUpdatedV1(task=state, changed_fields=tuple(changed_fields))
    uow.record(event, aggregate_id=state.task_id, aggregate_version=state.version)

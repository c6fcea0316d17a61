"""Checklist commands: add, edit, toggle, reorder and remove items of a task.

Positions are kept dense (0..n-1) after every change. Each change records a task change with
`changed_fields=("checklist",)`, so the task's version, history and the Worker's view follow.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Row

from kanban.api.checklists import repository as repo
from kanban.api.errors import InvalidInput, NotFound
from kanban.api.limits import MAX_CHECKLIST_ITEMS_PER_TASK
from kanban.api.ownership import owned_task
from kanban.api.tasks.state import record_task_change
from kanban.db.types import new_id, utcnow
from kanban.messaging.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class Checklist:
    task_id: str
    items: list[Row]

    @property
    def done(self) -> int:
        return sum(1 for item in self.items if item.is_done)

    @property
    def percent(self) -> int:
        return round(100 * self.done / len(self.items)) if self.items else 0


@dataclass(frozen=True)
class AddItem:
    user_id: str
    task_id: str
    title: str
    is_done: bool = False
    position: int | None = None


@dataclass(frozen=True)
class UpdateItem:
    user_id: str
    item_id: str
    changes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ToggleItem:
    user_id: str
    item_id: str


@dataclass(frozen=True)
class ReorderItems:
    user_id: str
    task_id: str
    item_ids: list[str]


@dataclass(frozen=True)
class RemoveItem:
    user_id: str
    item_id: str


async def _owned_item(uow: UnitOfWork, item_id: str, user_id: str) -> Row:
    row = await repo.owned_item(uow.conn, item_id, user_id)
    if row is None:
        raise NotFound(f"checklist item {item_id} not found")
    # Lock the task (PostgreSQL) so concurrent checklist edits apply one after the other, then read
    # the item again: a toggle must see the state the previous edit left.
    await owned_task(uow.conn, row.task_id, user_id, for_update=True)
    return await repo.item_by_id(uow.conn, item_id)


async def _record(uow: UnitOfWork, task_id: str, user_id: str, change: str, item_id: str | None = None) -> None:
    payload = {"checklist": change} if item_id is None else {"checklist": change, "itemId": item_id}
    await record_task_change(
        uow, task_id, kind="updated", changed_fields=("checklist",), payload=payload, triggered_by=f"user:{user_id}"
    )


async def get_checklist(task_id: str, user_id: str, uow: UnitOfWork) -> Checklist:
    await owned_task(uow.conn, task_id, user_id)
    return Checklist(task_id, await repo.task_items(uow.conn, task_id))


async def add_item(cmd: AddItem, uow: UnitOfWork) -> Row:
    await owned_task(uow.conn, cmd.task_id, cmd.user_id, for_update=True)
    order = [item.id for item in await repo.task_items(uow.conn, cmd.task_id)]
    if len(order) >= MAX_CHECKLIST_ITEMS_PER_TASK:
        message = f"a task holds at most {MAX_CHECKLIST_ITEMS_PER_TASK} checklist items (maxChecklistItemsPerTask)"
        raise InvalidInput(message, field="title", limit="maxChecklistItemsPerTask", max=MAX_CHECKLIST_ITEMS_PER_TASK)
    now = utcnow()
    item_id = new_id()
    position = len(order) if cmd.position is None else min(cmd.position, len(order))
    await repo.insert_item(
        uow.conn,
        {
            "id": item_id, "task_id": cmd.task_id, "title": cmd.title, "is_done": cmd.is_done,
            "position": position, "created_at": now, "updated_at": now,
        },
    )  # fmt: skip
    order.insert(position, item_id)
    await repo.set_positions(uow.conn, order)
    await _record(uow, cmd.task_id, cmd.user_id, "added", item_id)
    row = await repo.item_by_id(uow.conn, item_id)
    await uow.commit()
    return row


async def update_item(cmd: UpdateItem, uow: UnitOfWork) -> Row:
    item = await _owned_item(uow, cmd.item_id, cmd.user_id)
    for name in ("title", "is_done"):
        if name in cmd.changes and cmd.changes[name] is None:
            raise InvalidInput(f"{name} cannot be null", field={"is_done": "isDone"}.get(name, name))
    values = {k: v for k, v in cmd.changes.items() if k in ("title", "is_done") and v != item._mapping[k]}
    if not values:
        return item
    await repo.update_item(uow.conn, item.id, {**values, "updated_at": utcnow()})
    await _record(uow, item.task_id, cmd.user_id, "updated", item.id)
    row = await repo.item_by_id(uow.conn, item.id)
    await uow.commit()
    return row


async def toggle_item(cmd: ToggleItem, uow: UnitOfWork) -> Row:
    item = await _owned_item(uow, cmd.item_id, cmd.user_id)
    await repo.update_item(uow.conn, item.id, {"is_done": not item.is_done, "updated_at": utcnow()})
    await _record(uow, item.task_id, cmd.user_id, "unchecked" if item.is_done else "checked", item.id)
    row = await repo.item_by_id(uow.conn, item.id)
    await uow.commit()
    return row


async def reorder_items(cmd: ReorderItems, uow: UnitOfWork) -> Checklist:
    await owned_task(uow.conn, cmd.task_id, cmd.user_id, for_update=True)
    current = [item.id for item in await repo.task_items(uow.conn, cmd.task_id)]
    if len(cmd.item_ids) != len(set(cmd.item_ids)) or set(cmd.item_ids) != set(current):
        raise InvalidInput("itemIds must list every item of the task exactly once", field="itemIds")
    if cmd.item_ids != current:
        await repo.set_positions(uow.conn, cmd.item_ids)
        await _record(uow, cmd.task_id, cmd.user_id, "reordered")
    checklist = Checklist(cmd.task_id, await repo.task_items(uow.conn, cmd.task_id))
    await uow.commit()
    return checklist


async def remove_item(cmd: RemoveItem, uow: UnitOfWork) -> None:
    item = await _owned_item(uow, cmd.item_id, cmd.user_id)
    await repo.delete_item(uow.conn, item.id)
    await repo.set_positions(uow.conn, [i.id for i in await repo.task_items(uow.conn, item.task_id)])
    await _record(uow, item.task_id, cmd.user_id, "removed", item.id)
    await uow.commit()

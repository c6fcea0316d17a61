"""Tag commands: create, rename or recolour, delete, and attach to or detach from a task.

Tag names are unique per board whatever their case. Every change records the tag's event;
a change to a task's tags also records a task change, so the Worker's view of the task follows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Row
from sqlalchemy.exc import IntegrityError

from kanban.api.errors import Conflict, NotFound
from kanban.api.ownership import owned_board, owned_on_board, owned_task
from kanban.api.tables import tags
from kanban.api.tags import repository as repo
from kanban.api.tags.state import DEFAULT_COLOR, find_or_create_tags, tag_state
from kanban.api.tasks.state import record_task_change
from kanban.contracts.events import TagDeletedV1, TagUpdatedV1
from kanban.db.types import utcnow
from kanban.messaging.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class CreateTag:
    user_id: str
    board_id: str
    name: str
    color: str = DEFAULT_COLOR


@dataclass(frozen=True)
class UpdateTag:
    user_id: str
    tag_id: str
    changes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DeleteTag:
    user_id: str
    tag_id: str


@dataclass(frozen=True)
class AttachTag:
    user_id: str
    task_id: str
    name: str
    color: str | None = None


@dataclass(frozen=True)
class DetachTag:
    user_id: str
    task_id: str
    tag_id: str


async def _owned_tag(uow: UnitOfWork, tag_id: str, user_id: str, *, for_update: bool = False) -> Row:
    return await owned_on_board(uow.conn, tags, tag_id, user_id, label="tag", for_update=for_update)


async def _tags_changed(uow: UnitOfWork, task_id: str, user_id: str, **payload: str) -> None:
    await record_task_change(
        uow, task_id, kind="updated", changed_fields=("tags",), payload=payload, triggered_by=f"user:{user_id}"
    )


async def list_tags(board_id: str, user_id: str, uow: UnitOfWork) -> list[Row]:
    await owned_board(uow.conn, board_id, user_id)
    return await repo.board_tags(uow.conn, board_id)


async def list_task_tags(task_id: str, user_id: str, uow: UnitOfWork) -> list[Row]:
    await owned_task(uow.conn, task_id, user_id)
    return await repo.task_tags_of(uow.conn, task_id)


async def create_tag(cmd: CreateTag, uow: UnitOfWork) -> Row:
    await owned_board(uow.conn, cmd.board_id, cmd.user_id)
    if await repo.tag_by_name(uow.conn, cmd.board_id, cmd.name) is not None:
        raise Conflict(f"the board already has a tag named {cmd.name!r}", field="name")
    [row] = await find_or_create_tags(uow, cmd.board_id, [cmd.name], color=cmd.color)
    await uow.commit()
    return row


async def update_tag(cmd: UpdateTag, uow: UnitOfWork) -> Row:
    tag = await _owned_tag(uow, cmd.tag_id, cmd.user_id, for_update=True)
    values = {k: v for k, v in cmd.changes.items() if k in ("name", "color") and v is not None}
    values = {k: v for k, v in values.items() if v != tag._mapping[k]}
    if not values:
        return tag
    renamed = "name" in values
    if renamed:
        other = await repo.tag_by_name(uow.conn, tag.board_id, values["name"])
        if other is not None and other.id != tag.id:
            raise Conflict(f"the board already has a tag named {values['name']!r}", field="name")
        values["name_key"] = values["name"].lower()
    values.update(version=tag.version + 1, updated_at=utcnow())
    try:
        await repo.update_tag(uow.conn, tag.id, values)
    except IntegrityError:
        raise Conflict(f"the board already has a tag named {values['name']!r}", field="name") from None
    row = await repo.tag_by_id(uow.conn, tag.id)
    uow.record(TagUpdatedV1(tag=tag_state(row)), aggregate_id=tag.id, aggregate_version=row.version)
    if renamed:  # task states carry tag names
        for task_id in await repo.tasks_with_tag(uow.conn, tag.id):
            await _tags_changed(uow, task_id, cmd.user_id, tagRenamed=tag.name, to=row.name)
    await uow.commit()
    return row


async def delete_tag(cmd: DeleteTag, uow: UnitOfWork) -> None:
    tag = await _owned_tag(uow, cmd.tag_id, cmd.user_id)
    # Tasks first, then the tag: the order attaching takes (task lock, then the tag through the foreign key).
    await repo.lock_tasks(uow.conn, await repo.tasks_with_tag(uow.conn, tag.id))
    task_ids = await repo.delete_tag(uow.conn, tag.id)
    uow.record(
        TagDeletedV1(tag_id=tag.id, board_id=tag.board_id), aggregate_id=tag.id, aggregate_version=tag.version + 1
    )
    for task_id in task_ids:
        await _tags_changed(uow, task_id, cmd.user_id, tagRemoved=tag.name)
    await uow.commit()


async def attach_tag(cmd: AttachTag, uow: UnitOfWork) -> Row:
    """Find the board's tag by name (any case) or create it, then attach it; attaching twice changes nothing."""
    task = await owned_task(uow.conn, cmd.task_id, cmd.user_id, for_update=True)
    [tag] = await find_or_create_tags(uow, task.board_id, [cmd.name], color=cmd.color or DEFAULT_COLOR)
    if not await repo.is_attached(uow.conn, task.id, tag.id):
        await repo.attach(uow.conn, task.id, tag.id)
        await _tags_changed(uow, task.id, cmd.user_id, tagAdded=tag.name)
    await uow.commit()
    return tag


async def detach_tag(cmd: DetachTag, uow: UnitOfWork) -> None:
    task = await owned_task(uow.conn, cmd.task_id, cmd.user_id, for_update=True)
    tag = await _owned_tag(uow, cmd.tag_id, cmd.user_id)
    if not await repo.detach(uow.conn, task.id, tag.id):
        raise NotFound(f"tag {tag.id} is not on task {task.id}")
    await _tags_changed(uow, task.id, cmd.user_id, tagRemoved=tag.name)
    await uow.commit()

"""What applying a hint does to its task, per hint type, and how undo puts exactly that back.

Applying returns the task fields it changed and an undo record (stored in `hints.undo`): the
previous values of replaced fields, the ids of the checklist items and tag links it added, the
tags it created. Undo reads only that record.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, delete, func, select, update

from kanban.api.errors import InvalidInput
from kanban.api.tables import checklist_items, tags, tasks
from kanban.api.tags import repository as tag_repo
from kanban.api.tags.state import find_or_create_tags
from kanban.api.tasks.rules import CONTEXTS
from kanban.contracts.events import TagDeletedV1
from kanban.db.types import new_id, utcnow
from kanban.messaging.unit_of_work import UnitOfWork

PRIORITIES = ("LOW", "MEDIUM", "HIGH")

# hint type -> (task column, key in the hint's data)
FIELD_HINTS: dict[str, tuple[str, str]] = {
    "context": ("context", "context"),
    "priority": ("priority", "priority"),
    "duration": ("duration_minutes", "minutes"),
    "needs-breakdown": ("needs_breakdown", "needsBreakdown"),
}
# hint type -> the task column its content replaces
TEXT_HINTS: dict[str, str] = {"title": "title", "description": "description"}
KNOWN_TYPES = frozenset({*FIELD_HINTS, *TEXT_HINTS, "tags", "actions", "summary", "duplicate"})


class HintNotApplicable(InvalidInput):
    """The hint's content does not fit its type (an unknown context, no items...)."""


@dataclass(frozen=True)
class Effect:
    changed_fields: tuple[str, ...]
    undo: dict[str, Any]


def _data(hint: Row) -> dict[str, Any]:
    return dict(hint.data or {})


def field_value(hint_type: str, hint: Row) -> Any:
    """The value a field hint sets, checked against the task's domain."""
    _, key = FIELD_HINTS[hint_type]
    value = _data(hint).get(key)
    valid = {
        "context": value in CONTEXTS,
        "priority": value in PRIORITIES,
        "duration": isinstance(value, int) and not isinstance(value, bool) and value >= 0,
        "needs-breakdown": isinstance(value, bool),
    }[hint_type]
    if not valid:
        raise HintNotApplicable(f"the {hint_type} hint carries an invalid value {value!r}", field="data")
    return value


def tag_names(hint: Row) -> list[str]:
    data = _data(hint)
    names: dict[str, str] = {}
    for raw in [*(data.get("tags") or []), *(data.get("new") or [])]:
        name = str(raw).strip()
        if name and len(name) <= 100:
            names.setdefault(name.lower(), name)
    return list(names.values())


def action_items(hint: Row) -> list[str]:
    items = [str(i).strip()[:500] for i in (_data(hint).get("items") or [])]
    return [i for i in items if i]


def summary_section(hint: Row) -> str:
    """The summary as a quoted Markdown section with its source URL."""
    lines = [f"**Summary: {hint.title}**" if hint.title else "**Summary**", ""]
    lines += (hint.content or "").strip().splitlines()
    url = _data(hint).get("url")
    if url:
        lines += ["", f"Source: {url}"]
    return "\n".join(f"> {line}".rstrip() for line in lines)


async def apply_effect(uow: UnitOfWork, task: Row, hint: Row) -> Effect:
    kind = hint.hint_type
    if kind in FIELD_HINTS:
        column, _ = FIELD_HINTS[kind]
        return await _set_fields(uow, task, {column: field_value(kind, hint)})
    if kind in TEXT_HINTS:
        text = (hint.content or "").strip() if kind == "title" else (hint.content or "")
        if kind == "title" and not text:
            raise HintNotApplicable("the title hint has no title", field="content")
        return await _set_fields(uow, task, {TEXT_HINTS[kind]: text[:500] if kind == "title" else text})
    if kind == "summary":
        before = task.description or ""
        after = f"{before.rstrip()}\n\n{summary_section(hint)}" if before.strip() else summary_section(hint)
        return await _set_fields(uow, task, {"description": after})
    if kind == "tags":
        return await _add_tags(uow, task, tag_names(hint))
    if kind == "actions":
        return await _add_checklist(uow, task, action_items(hint))
    if kind == "duplicate":
        return Effect((), {})  # acknowledged: the owner decides what to merge
    raise HintNotApplicable(f"hints of type {kind!r} cannot be applied", field="hintType")


async def undo_effect(uow: UnitOfWork, task: Row, hint: Row) -> tuple[str, ...]:
    """Put back what applying changed; returns the task fields that changed again."""
    undo = dict(hint.undo or {})
    changed: list[str] = []
    previous = undo.get("fields") or {}
    if previous:
        await uow.conn.execute(update(tasks).where(tasks.c.id == task.id).values(**previous))
        changed += list(previous)
    item_ids = undo.get("checklistItemIds") or []
    if item_ids:
        await uow.conn.execute(
            delete(checklist_items).where(checklist_items.c.task_id == task.id, checklist_items.c.id.in_(item_ids))
        )
        changed.append("checklist")
    attached = undo.get("attachedTagIds") or []
    for tag_id in attached:
        await tag_repo.detach(uow.conn, task.id, tag_id)
    if attached:
        changed.append("tags")
    for tag_id in undo.get("createdTagIds") or []:
        await _delete_tag_if_unused(uow, tag_id)
    return tuple(changed)


async def _set_fields(uow: UnitOfWork, task: Row, values: dict[str, Any]) -> Effect:
    changed = {k: v for k, v in values.items() if task._mapping[k] != v}
    if not changed:
        return Effect((), {})
    await uow.conn.execute(update(tasks).where(tasks.c.id == task.id).values(**changed))
    return Effect(tuple(changed), {"fields": {k: task._mapping[k] for k in changed}})


async def _add_tags(uow: UnitOfWork, task: Row, names: list[str]) -> Effect:
    if not names:
        raise HintNotApplicable("the tags hint names no tag", field="data")
    existing = {row.id for row in await tag_repo.board_tags(uow.conn, task.board_id)}
    created: list[str] = []
    attached: list[str] = []
    for tag in await find_or_create_tags(uow, task.board_id, names):
        if tag.id not in existing:
            created.append(tag.id)
        if not await tag_repo.is_attached(uow.conn, task.id, tag.id):
            await tag_repo.attach(uow.conn, task.id, tag.id)
            attached.append(tag.id)
    return Effect(("tags",) if attached else (), {"createdTagIds": created, "attachedTagIds": attached})


async def _delete_tag_if_unused(uow: UnitOfWork, tag_id: str) -> None:
    if await tag_repo.tasks_with_tag(uow.conn, tag_id):
        return  # another task uses it now: it is the owner's tag
    tag = (await uow.conn.execute(select(tags).where(tags.c.id == tag_id))).first()
    if tag is None:
        return
    await tag_repo.delete_tag(uow.conn, tag_id)
    uow.record(
        TagDeletedV1(tag_id=tag_id, board_id=tag.board_id), aggregate_id=tag_id, aggregate_version=tag.version + 1
    )


async def _add_checklist(uow: UnitOfWork, task: Row, items: list[str]) -> Effect:
    if not items:
        raise HintNotApplicable("the actions hint has no items", field="data")
    last = await uow.conn.scalar(
        select(func.max(checklist_items.c.position)).where(checklist_items.c.task_id == task.id)
    )
    start = 0 if last is None else int(last) + 1
    now = utcnow()
    rows = [
        {
            "id": new_id(),
            "task_id": task.id,
            "title": title,
            "is_done": False,
            "position": start + i,
            "created_at": now,
            "updated_at": now,
        }
        for i, title in enumerate(items)
    ]
    await uow.conn.execute(checklist_items.insert(), rows)
    return Effect(("checklist",), {"checklistItemIds": [r["id"] for r in rows]})

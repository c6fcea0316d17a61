"""A tag's state for events, and the one way to create tags: each new tag records TagCreatedV1.

Anything that creates tags on the fly (attaching by name, a task created or edited with tag
names, a rule's add_tag) goes through `find_or_create_tags`, so the Worker learns of every tag.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Row, func, insert, select
from sqlalchemy.exc import IntegrityError

from kanban.api.errors import Conflict, InvalidInput
from kanban.api.limits import MAX_TAGS_PER_BOARD
from kanban.api.tables import tags
from kanban.contracts.events import TagCreatedV1, TagState
from kanban.db.types import new_id, utcnow
from kanban.messaging.unit_of_work import UnitOfWork

DEFAULT_COLOR = "#94a3b8"


def tag_state(row: Row) -> TagState:
    return TagState(tag_id=row.id, board_id=row.board_id, name=row.name, color=row.color, version=row.version)


async def find_or_create_tags(
    uow: UnitOfWork, board_id: str, names: Sequence[str], *, color: str = DEFAULT_COLOR
) -> list[Row]:
    """The board's tags named `names` (any case), in the order given, creating the missing ones.

    Names that differ only by case are one tag; the first spelling names a new tag. Does not commit.
    """
    by_key = {name.lower(): name for name in reversed(names)}  # the first spelling wins
    keys = list(dict.fromkeys(name.lower() for name in names))
    if not keys:
        return []
    found = {
        row.name_key: row
        for row in (await uow.conn.execute(select(tags).where(tags.c.board_id == board_id, tags.c.name_key.in_(keys))))
    }
    missing = [key for key in keys if key not in found]
    if missing:
        await _ensure_room(uow, board_id, len(missing))
        now = utcnow()
        rows = [
            {
                "id": new_id(), "board_id": board_id, "name": by_key[key], "name_key": key, "color": color,
                "version": 1, "created_at": now, "updated_at": now,
            }
            for key in missing
        ]  # fmt: skip
        try:
            await uow.conn.execute(insert(tags), rows)
        except IntegrityError:  # a concurrent request created one of them between the read and the insert
            raise Conflict("a tag of the same name was created at the same time; retry", field="name") from None
        created = await uow.conn.execute(select(tags).where(tags.c.id.in_([r["id"] for r in rows])))
        for row in created:
            found[row.name_key] = row
            uow.record(TagCreatedV1(tag=tag_state(row)), aggregate_id=row.id, aggregate_version=1)
    return [found[key] for key in keys]


async def _ensure_room(uow: UnitOfWork, board_id: str, new: int) -> None:
    """A board holds at most MAX_TAGS_PER_BOARD tags, so its tag list stays small to load and to send."""
    count = (await uow.conn.execute(select(func.count()).where(tags.c.board_id == board_id))).scalar_one()
    if count + new > MAX_TAGS_PER_BOARD:
        message = f"a board holds at most {MAX_TAGS_PER_BOARD} tags (maxTagsPerBoard); it has {count}"
        raise InvalidInput(message, field="tags", limit="maxTagsPerBoard", max=MAX_TAGS_PER_BOARD)

"""Replayed flows kept per process, for as long as the board's placements are the same.

Every analytics read replays the board's whole placement history (tens of thousands of rows on a
busy board); most reads in a row see the same history (the four charts of a page, a person trying
ranges, the bench). Before replaying, one aggregate read over the flow index gives the number and
newest time of the placements before `until`; when they match what was kept, the kept flows are
the answer. Events are only ever added (a board's are deleted with it), so any new placement, even
one imported with an old time, changes the count. Column types are part of the key: untyped legacy
events take their column's type now.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime
from typing import Any

from kanban.api.analytics import repository as repo
from kanban.api.analytics.flow import TaskFlow, replay
from kanban.db.async_core import AsyncConnection

# A few boards' histories (a 5,000-task board's is a few MB); the least recently read goes first.
MAX_KEPT = 8

_kept: OrderedDict[tuple[Any, ...], tuple[tuple[int, datetime | None], dict[str, TaskFlow]]] = OrderedDict()


async def replayed(conn: AsyncConnection, board_id: str, until: datetime, types: dict[str, str]) -> dict[str, TaskFlow]:
    """The board's flows from its placements before `until`; shared, so callers must not change them."""
    key = (board_id, until, tuple(sorted(types.items())))
    marker = await repo.flow_marker(conn, board_id, until)
    kept = _kept.get(key)
    if kept is not None and kept[0] == marker:
        _kept.move_to_end(key)
        return kept[1]
    flows = replay(await repo.flow_events(conn, board_id, until, types))
    _kept[key] = (marker, flows)
    _kept.move_to_end(key)
    while len(_kept) > MAX_KEPT:
        _kept.popitem(last=False)
    return flows

"""The board's recent flow, kept per process: its cycle-time percentiles and when its work started.

The stale marker (`staleBasis: p85`) and the aging colour of the board's cards both need the
board's history replayed; a board load must not replay a year of events each time, so each API
process keeps the answer per board for as long as the board's placements are the same (the
one-row marker the kept replays use: a finish, a move or a deletion anywhere, by any replica,
changes it), and at most a few minutes, since "the last 90 days" moves on with the clock.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from kanban.api.analytics import metrics
from kanban.api.analytics import repository as repo
from kanban.api.analytics.flow import COMMITTED_TYPES
from kanban.api.analytics.handlers import History, collector_paused, history_for, percentiles_out
from kanban.api.analytics.period import owner_zone, resolve, today_in
from kanban.api.analytics.schemas import BoardAgingOut
from kanban.api.tasks.schemas import TaskOut
from kanban.db.async_core import AsyncConnection
from kanban.db.types import utcnow

KEEP_SECONDS = 300.0


@dataclass(frozen=True)
class RecentFlow:
    """Percentiles of the tasks finished in the last 90 days (owner's zone) and each started task's start."""

    tz: ZoneInfo
    cycle: metrics.Percentiles
    starts: dict[str, datetime]


# board id -> (monotonic time computed, the board's flow marker then, the answer)
_kept: dict[str, tuple[float, tuple[int, datetime | None], RecentFlow]] = {}


def _recent(h: History) -> RecentFlow:
    finished = metrics.finished_in(h.flows.values(), h.tz, h.period.first, h.period.last)
    starts = {f.task_id: f.started for f in h.flows.values() if f.started is not None and f.in_progress}
    return RecentFlow(h.tz, metrics.Percentiles.of(f.cycle_days for f in finished), starts)


def marker_horizon() -> datetime:
    """The `until` of the marker the kept flow is checked against: past any event written now."""
    return utcnow() + timedelta(days=1)


async def recent_flow(
    conn: AsyncConnection, board_id: str, marker: tuple[int, datetime | None] | None = None
) -> RecentFlow:
    """The board's recent flow; `marker` is the board's flow marker up to `marker_horizon()`, when the
    caller has read it with its own statement (`repo.flow_marker_query`)."""
    if marker is None:
        marker = await repo.flow_marker(conn, board_id, marker_horizon())
    kept = _kept.get(board_id)
    if kept is not None and kept[1] == marker and time.monotonic() - kept[0] < KEEP_SECONDS:
        return kept[2]
    tz = owner_zone(await repo.board_timezone(conn, board_id))
    with collector_paused():  # the history is freed before collection resumes
        flow = _recent(await history_for(conn, board_id, resolve(None, None, tz, utcnow())))
    if len(_kept) > 10_000:  # bounded: a process serving many boards forgets the oldest half
        for key in sorted(_kept, key=lambda k: _kept[k][0])[: len(_kept) // 2]:
            del _kept[key]
    _kept[board_id] = (time.monotonic(), marker, flow)
    return flow


def board_aging(flow: RecentFlow, cards: Iterable[tuple[str, str, datetime]]) -> dict[str, Any]:
    """The age (days since commitment, inclusive) and percentile band of each card in a committed
    column, as on the wire (BoardAgingOut's camelCase fields); `cards` are (id, column type, last moved)."""
    today = today_in(flow.tz, utcnow())
    items = []
    for task_id, column_type, last_moved_at in cards:
        if column_type not in COMMITTED_TYPES:
            continue
        age = metrics.days_inclusive(metrics.local_day(flow.starts.get(task_id, last_moved_at), flow.tz), today)
        items.append({"taskId": task_id, "ageDays": age, "band": flow.cycle.band(age)})
    return {"asOf": today, "cycleTime": percentiles_out(flow.cycle).model_dump(by_alias=True), "items": items}


async def card_ages(conn: AsyncConnection, board_id: str, cards: Iterable[TaskOut]) -> BoardAgingOut:
    """`board_aging` of task responses, as a model."""
    aging = board_aging(await recent_flow(conn, board_id), ((c.id, c.column_type, c.last_moved_at) for c in cards))
    return BoardAgingOut.model_validate(aging)

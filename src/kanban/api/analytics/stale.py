"""The stale marker's threshold: the board's setting, or the board's own p85 cycle time.

With `staleBasis: p85` a task is stale when it has not moved for longer than 85% of the board's
recently finished tasks took from commitment to finish (the last 90 days, in the owner's zone);
while fewer than 10 finished, `staleAfterDays` stands in. The p85 needs the board's history
replayed, so each API process keeps it for a few minutes per board: staleness is counted in
days, and a task's every read must not replay a year of events.
"""

from __future__ import annotations

import time

from sqlalchemy.ext.asyncio import AsyncConnection

from kanban.api.analytics import metrics
from kanban.api.analytics import repository as repo
from kanban.api.analytics.handlers import history_for
from kanban.api.analytics.period import owner_zone, resolve
from kanban.api.tasks.rules import BoardSettings
from kanban.db.types import utcnow

KEEP_SECONDS = 300.0
WINDOW_DAYS = 90

# board id -> (monotonic time computed, p85 days or None below the sample minimum)
_kept: dict[str, tuple[float, int | None]] = {}


async def board_p85_days(conn: AsyncConnection, board_id: str) -> int | None:
    """The p85 cycle time (days) of the tasks finished in the last 90 days, None below 10."""
    kept = _kept.get(board_id)
    if kept is not None and time.monotonic() - kept[0] < KEEP_SECONDS:
        return kept[1]
    timezone = await repo.board_timezone(conn, board_id)
    period = resolve(None, None, owner_zone(timezone), utcnow())
    h = await history_for(conn, board_id, period)
    finished = metrics.finished_in(h.flows.values(), h.tz, period.first, period.last)
    p = metrics.Percentiles.of(f.cycle_days for f in finished)
    days = p.values[85] if p.values is not None else None
    if len(_kept) > 10_000:  # bounded: a process serving many boards forgets the oldest half
        for key in sorted(_kept, key=lambda k: _kept[k][0])[: len(_kept) // 2]:
            del _kept[key]
    _kept[board_id] = (time.monotonic(), days)
    return days


async def stale_after_days(conn: AsyncConnection, board_id: str, settings: BoardSettings) -> int:
    if settings.stale_basis != "p85":
        return settings.stale_after_days
    days = await board_p85_days(conn, board_id)
    return days if days is not None else settings.stale_after_days


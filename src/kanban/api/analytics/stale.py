"""The stale marker's threshold: the board's setting, or the board's own p85 cycle time.

With `staleBasis: p85` a task is stale when it has not moved for longer than 85% of the board's
recently finished tasks took from commitment to finish (the last 90 days, in the owner's zone);
while fewer than 10 finished, `staleAfterDays` stands in. The p85 comes from the board's recent
flow, which each API process keeps for a few minutes (`recent.py`).
"""

from __future__ import annotations

from kanban.api.analytics.recent import RecentFlow, recent_flow
from kanban.api.tasks.rules import BoardSettings
from kanban.db.async_core import AsyncConnection


async def board_p85_days(conn: AsyncConnection, board_id: str) -> int | None:
    """The p85 cycle time (days) of the tasks finished in the last 90 days, None below 10."""
    values = (await recent_flow(conn, board_id)).cycle.values
    return values[85] if values is not None else None


async def stale_after_days(conn: AsyncConnection, board_id: str, settings: BoardSettings) -> int:
    if settings.stale_basis != "p85":
        return settings.stale_after_days
    return threshold_days(settings, await recent_flow(conn, board_id))


def threshold_days(settings: BoardSettings, flow: RecentFlow) -> int:
    """`stale_after_days` when the board's recent flow is already at hand."""
    values = flow.cycle.values
    if settings.stale_basis != "p85" or values is None:
        return settings.stale_after_days
    return values[85]

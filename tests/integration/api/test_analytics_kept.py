"""A kept replay is used only while the board's placements and column types are what it was replayed from."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import update

from kanban.api.tables import columns
from tests.integration.api.conftest import ApiHarness
from tests.integration.api.flow_history import FlowHistory


def _day(back: int) -> str:
    return (datetime.now(UTC).date() - timedelta(days=back)).isoformat()


def _columns() -> FlowHistory:
    h = FlowHistory(ZoneInfo("UTC"))
    h.column("inbox", "Inbox", "INPUT")
    h.column("next", "Next actions", "CONTEXT")
    h.column("done", "Done", "DONE")
    return h


async def _cycle(api: ApiHarness, me: dict[str, str], board_id: str) -> dict[str, Any]:
    response = await api.client.get(f"/boards/{board_id}/analytics/cycle-time", headers=me)
    assert response.status_code == 200, response.text
    return response.json()["cycleTime"]  # type: ignore[no-any-return]


async def test_a_new_placement_is_seen_by_the_next_read(api: ApiHarness) -> None:
    me, h = await api.make_user(), _columns()
    for k in range(1, 11):
        h.story(f"t{k}", f"{_day(20)} 08:00", (f"{_day(20)} 09:00", "next"), (f"{_day(20 - k + 1)} 10:00", "done"))
    h.story("open", f"{_day(3)} 08:00", (f"{_day(2)} 09:00", "next"))
    async with api.app.state.services.engine.begin() as conn:  # type: ignore[attr-defined]
        board_id = await h.write(conn, me["X-User-Id"], "UTC")
    assert (await _cycle(api, me, board_id))["n"] == 10
    assert (await _cycle(api, me, board_id))["n"] == 10  # read again: the kept replay
    moved = await api.client.post(f"/tasks/{h.tasks['open'].id}/move", json={"columnId": h.column_ids["done"]},
                                  headers=me)  # fmt: skip
    assert moved.status_code == 200
    # 1..10 days and now 3 (day -2 to today): sorted 1 2 3 3 4 5 6 7 8 9 10, ranks 6, 8, 10, 11.
    assert (await _cycle(api, me, board_id)) == {"n": 11, "enough": True, "p50": 5, "p70": 7, "p85": 9, "p95": 10}


async def test_a_column_retyped_under_untyped_events_is_replayed_again(api: ApiHarness) -> None:
    me, h = await api.make_user(), _columns()
    for k in range(1, 11):  # events from before types were recorded: they take their column's type now
        h.story(f"t{k}", f"{_day(20)} 08:00", (f"{_day(20)} 09:00", "next"), (f"{_day(10)} 10:00", "done"),
                typed=False)  # fmt: skip
    async with api.app.state.services.engine.begin() as conn:  # type: ignore[attr-defined]
        board_id = await h.write(conn, me["X-User-Id"], "UTC")
    assert (await _cycle(api, me, board_id))["p50"] == 11  # committed on day -20, done on day -10
    async with api.app.state.services.engine.begin() as conn:  # type: ignore[attr-defined]
        await conn.execute(update(columns).where(columns.c.id == h.column_ids["next"]).values(type="SOMEDAY"))
    # "Next actions" is Someday now: the tasks were never committed, so each starts when it finishes.
    assert (await _cycle(api, me, board_id))["p50"] == 1

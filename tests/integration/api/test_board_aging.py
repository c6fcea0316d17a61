"""The board response carries each committed card's age and percentile band (the cards' aging colour).

Ten tasks finished in the last 90 days with cycle times 1..10 days give, by nearest rank, p50 = 5,
p70 = 7, p85 = 9, p95 = 10; cards in context lanes and Waiting for are aged from their first
commitment, whatever lane they moved to since.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from tests.integration.api.board_helpers import create_task
from tests.integration.api.conftest import ApiHarness
from tests.integration.api.flow_history import FlowHistory


def _day(back: int) -> str:
    return (datetime.now(UTC).date() - timedelta(days=back)).isoformat()


def history(finished: int) -> FlowHistory:
    h = FlowHistory(ZoneInfo("UTC"))
    h.column("inbox", "Inbox", "INPUT")
    h.column("next", "Next actions", "CONTEXT")
    h.column("waiting", "Waiting for", "WAITING")
    h.column("done", "Done", "DONE")
    for k in range(1, finished + 1):  # cycle time k days: committed on day -40, done k-1 days later
        h.story(f"done-{k}", f"{_day(41)} 08:00", (f"{_day(40)} 09:00", "next"), (f"{_day(41 - k)} 10:00", "done"))
    h.story("young", f"{_day(3)} 08:00", (f"{_day(1)} 09:00", "next"))
    h.story("middle", f"{_day(9)} 08:00", (f"{_day(7)} 09:00", "next"))
    h.story("old", f"{_day(30)} 08:00", (f"{_day(20)} 09:00", "next"), (f"{_day(3)} 09:00", "waiting"))
    h.story("backed-out", f"{_day(30)} 08:00", (f"{_day(20)} 09:00", "next"), (f"{_day(10)} 09:00", "inbox"))
    return h


async def seeded(api: ApiHarness, finished: int) -> tuple[dict[str, str], str, FlowHistory]:
    me = await api.make_user()
    h = history(finished)
    async with api.app.state.services.engine.begin() as conn:  # type: ignore[attr-defined]
        board_id = await h.write(conn, me["X-User-Id"], "UTC")
    return me, board_id, h


async def test_committed_cards_carry_their_age_and_band(api: ApiHarness) -> None:
    me, board_id, h = await seeded(api, finished=10)
    body = (await api.client.get(f"/boards/{board_id}", headers=me)).json()
    aging = body["aging"]
    assert aging["asOf"] == datetime.now(UTC).date().isoformat()
    assert aging["cycleTime"] == {"n": 10, "enough": True, "p50": 5, "p70": 7, "p85": 9, "p95": 10}
    by_id = {i["taskId"]: (i["ageDays"], i["band"]) for i in aging["items"]}
    titles = {t.id: key for key, t in h.tasks.items()}
    assert {titles[k]: v for k, v in by_id.items()} == {
        "young": (2, "under-p50"),
        "middle": (8, "p70-p85"),
        "old": (21, "over-p95"),  # from its first commitment, not its move into Waiting for
    }  # the Inbox card (backed out of work) and the Done ones are not aged


async def test_a_card_committed_since_the_history_was_kept_is_aged_from_its_move(api: ApiHarness) -> None:
    me, board_id, _ = await seeded(api, finished=10)
    board = (await api.client.get(f"/boards/{board_id}", headers=me)).json()
    task = await create_task(api, me, board, title="fresh")
    nxt = next(c["id"] for c in board["columns"] if c["type"] == "CONTEXT")
    assert (await api.client.post(f"/tasks/{task['id']}/move", json={"columnId": nxt}, headers=me)).status_code == 200
    again = (await api.client.get(f"/boards/{board_id}", headers=me)).json()
    fresh = next(i for i in again["aging"]["items"] if i["taskId"] == task["id"])
    assert (fresh["ageDays"], fresh["band"]) == (1, "under-p50")


async def test_below_ten_finished_tasks_cards_are_aged_without_a_band(api: ApiHarness) -> None:
    me, board_id, h = await seeded(api, finished=9)
    aging = (await api.client.get(f"/boards/{board_id}", headers=me)).json()["aging"]
    assert aging["cycleTime"] == {"n": 9, "enough": False, "p50": None, "p70": None, "p85": None, "p95": None}
    assert sorted((i["ageDays"], i["band"]) for i in aging["items"]) == [(2, None), (8, None), (21, None)]


async def test_a_task_finished_since_the_last_load_counts_at_once(api: ApiHarness) -> None:
    """The kept answer lasts only while the board's placements are the same."""
    me, board_id, h = await seeded(api, finished=9)
    board = (await api.client.get(f"/boards/{board_id}", headers=me)).json()
    assert board["aging"]["cycleTime"]["n"] == 9
    done = next(c["id"] for c in board["columns"] if c["type"] == "DONE")
    moved = await api.client.post(f"/tasks/{h.tasks['young'].id}/move", json={"columnId": done}, headers=me)
    assert moved.status_code == 200, moved.text
    again = (await api.client.get(f"/boards/{board_id}", headers=me)).json()["aging"]
    assert again["cycleTime"]["n"] == 10 and again["cycleTime"]["enough"] is True
    assert h.tasks["young"].id not in {i["taskId"] for i in again["items"]}

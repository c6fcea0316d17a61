"""Flow analytics on a synthetic history with answers worked out by hand, on SQLite and PostgreSQL.

The board's owner lives in Europe/Berlin; the range 2026-10-20..31 spans the end of summer time
(2026-10-25 03:00 CEST → 02:00 CET). The history has a reopened task, a task moved back to the
Inbox, work trashed after and before its start, a retyped and a renamed column, events without
recorded types, a two-minute action, an archive straight from work, and days without finishes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, update

from kanban.api.tables import task_events, tasks
from tests.integration.api.board_helpers import column_id, create_board, create_task
from tests.integration.api.conftest import ApiHarness
from tests.integration.api.flow_history import FlowHistory

BERLIN = ZoneInfo("Europe/Berlin")
RANGE = {"from": "2026-10-20", "to": "2026-10-31"}


def history() -> FlowHistory:
    h = FlowHistory(BERLIN)
    h.column("inbox", "Inbox", "INPUT")
    h.column("next", "Next actions", "CONTEXT")
    h.column("phone", "@Phone", "CONTEXT", wip_limit=1)
    # Someday when G was captured; retyped to CONTEXT (and renamed) while G sat in it.
    h.column("later", "Focus", "CONTEXT", type_then="SOMEDAY")
    # A Waiting column H went through, since renamed and retyped (empty) to SOMEDAY.
    h.column("parked", "Parked", "SOMEDAY", type_then="WAITING")
    h.column("waiting", "Waiting for", "WAITING")
    h.column("done", "Done", "DONE")
    h.column("archive", "Archive", "ARCHIVE")

    d = "2026-10-"
    h.story("A", d + "20 09:00", (d + "21 10:00", "next"), (d + "23 18:00", "done"))
    # B: done, reopened, done again just after local midnight (still the 26th in UTC).
    h.story(
        "B",
        d + "20 08:00",
        (d + "20 12:00", "next"),
        (d + "22 09:00", "done"),
        (d + "24 09:00", "next"),
        (d + "27 00:30", "done"),
    )
    # C: started, back to the Inbox, then Waiting for across the DST change (25 real hours), done.
    h.story(
        "C",
        d + "21 09:00",
        (d + "21 11:00", "next"),
        (d + "22 09:00", "inbox"),
        (d + "24 22:00", "waiting"),
        (d + "25 22:00", "done"),
    )
    h.story("D", d + "20 10:00", (d + "21 10:00", "next"), (d + "23 10:00", "trash"))
    h.story("E", d + "22 10:00", (d + "22 11:00", "trash"))
    h.story("F", d + "20 07:00")
    h.move("F", d + "22 08:00", "phone", override=True)
    h.story("G", d + "20 09:00", column="later")
    h.retype("later", d + "24 12:00", "CONTEXT")
    h.move("G", d + "29 09:00", "done")
    h.story("H", d + "20 09:00", (d + "21 09:00", "parked"), (d + "22 09:00", "done"))
    h.story("I", d + "20 09:00", (d + "22 09:00", "next"), (d + "23 09:00", "archive"))
    h.story("J", d + "20 09:00", (d + "21 09:00", "archive"))
    h.story("K", d + "20 09:00", (d + "20 10:00", "next"), (d + "21 09:00", "done"), (d + "24 09:00", "archive"))
    h.story("L", d + "23 10:00", (d + "23 10:05", "done"))
    # M's events predate recorded types: they fall back to the columns' types now.
    h.story("M", d + "26 09:00", (d + "26 10:00", "next"), (d + "30 10:00", "done"), typed=False)
    h.story("N", d + "27 09:00", (d + "27 10:00", "next"), (d + "31 10:00", "done"))
    h.story("O", d + "29 09:00", (d + "30 09:00", "waiting"))
    return h  # fmt: skip


async def seeded(api: ApiHarness) -> tuple[dict[str, str], str, FlowHistory]:
    me = await api.make_user()
    h = history()
    async with api.app.state.services.engine.begin() as conn:  # type: ignore[attr-defined]
        board_id = await h.write(conn, me["X-User-Id"], "Europe/Berlin")
    return me, board_id, h


async def get(api: ApiHarness, me: dict[str, str], board_id: str, path: str, **params: Any) -> Any:
    response = await api.client.get(f"/boards/{board_id}/analytics/{path}", params={**RANGE, **params}, headers=me)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
async def board(api: ApiHarness) -> tuple[ApiHarness, dict[str, str], str, FlowHistory]:
    me, board_id, h = await seeded(api)
    return api, me, board_id, h


Board = tuple[ApiHarness, dict[str, str], str, FlowHistory]


async def test_cumulative_flow_by_hand(board: Board) -> None:
    api, me, board_id, _ = board
    body = await get(api, me, board_id, "cfd")
    assert body["timeZone"] == "Europe/Berlin" and (body["from"], body["to"]) == ("2026-10-20", "2026-10-31")
    rows = [(d["arrived"], d["committed"], d["done"], d["discarded"], d["trashed"]) for d in body["days"]]
    assert [d["date"] for d in body["days"]][0] == "2026-10-20" and len(rows) == 12
    assert rows == [
        (9, 2, 0, 0, 0),  # 20
        (10, 6, 1, 0, 0),  # 21: C arrives; A, C, D, H committed; K done
        (11, 8, 2, 0, 1),  # 22: E arrives and is trashed; F, I committed; H done (B's first finish is not kept)
        (12, 9, 5, 1, 1),  # 23: L (two-minute) committed and done; A, I done; D discarded
        (12, 10, 5, 1, 1),  # 24: G committed by its column's retype
        (12, 10, 6, 1, 1),  # 25: C done
        (13, 11, 6, 1, 1),  # 26
        (14, 12, 7, 1, 1),  # 27: B done at 00:30 local (still the 26th in UTC)
        (14, 12, 7, 1, 1),  # 28
        (15, 12, 8, 1, 1),  # 29
        (15, 13, 9, 1, 1),  # 30
        (15, 13, 10, 1, 1),  # 31
    ]


async def test_throughput_keeps_zero_days_and_weeks(board: Board) -> None:
    api, me, board_id, _ = board
    day = await get(api, me, board_id, "throughput")
    assert [b["finished"] for b in day["buckets"]] == [0, 1, 1, 3, 0, 1, 0, 1, 0, 1, 1, 1]
    assert (day["total"], day["median"]) == (10, 1.0)
    week = await get(api, me, board_id, "throughput", interval="week")
    # Mon 10-19 (cut to 20..25: 6 days), Mon 10-26 (26..31: 6 days)
    assert [(b["start"], b["days"], b["finished"]) for b in week["buckets"]] == [
        ("2026-10-19", 6, 6),
        ("2026-10-26", 6, 4),
    ]


async def test_cycle_and_lead_time_percentiles(board: Board) -> None:
    api, me, board_id, h = board
    body = await get(api, me, board_id, "cycle-time")
    by_title = {i["title"]: i for i in body["items"]}
    assert {t: (i["cycleTimeDays"], i["leadTimeDays"]) for t, i in by_title.items()} == {
        "K": (2, 2), "H": (2, 3), "A": (3, 4), "I": (2, 4), "L": (1, 1), "C": (5, 5),
        "B": (8, 8), "G": (6, 10), "M": (5, 5), "N": (5, 5),
    }  # fmt: skip
    assert by_title["C"]["reentered"] is True and by_title["B"]["reentered"] is False
    assert (by_title["B"]["startDate"], by_title["B"]["finishDate"]) == ("2026-10-20", "2026-10-27")
    # cycle 1,2,2,2,3,5,5,5,6,8 and lead 1,2,3,4,4,5,5,5,8,10: nearest rank ceil(p/100*10)
    assert body["cycleTime"] == {"n": 10, "enough": True, "p50": 3, "p70": 5, "p85": 6, "p95": 8}
    assert body["leadTime"] == {"n": 10, "enough": True, "p50": 4, "p70": 5, "p85": 8, "p95": 10}
    fewer = await get(api, me, board_id, "cycle-time", to="2026-10-29")
    assert fewer["cycleTime"] == {"n": 8, "enough": False, "p50": None, "p70": None, "p85": None, "p95": None}


async def test_a_range_ending_before_a_reopen_sees_the_first_finish(board: Board) -> None:
    api, me, board_id, _ = board
    body = await get(api, me, board_id, "cycle-time", to="2026-10-23")
    assert sorted(i["title"] for i in body["items"]) == ["A", "B", "H", "I", "K", "L"]


async def test_aging_work_in_progress(board: Board) -> None:
    api, me, board_id, h = board
    body = await get(api, me, board_id, "aging")
    assert body["asOf"] == "2026-10-31"
    assert [c["name"] for c in body["columns"]] == ["Next actions", "@Phone", "Focus", "Waiting for"]
    items = [(i["title"], i["columnName"], i["startDate"], i["ageDays"], i["pace"], i["band"]) for i in body["items"]]
    assert items == [
        ("F", "@Phone", "2026-10-22", 10, 100, "over-p95"),
        ("O", "Waiting for", "2026-10-30", 2, 40, "under-p50"),
    ]
    earlier = await get(api, me, board_id, "aging", to="2026-10-25")
    # On the 25th: B (reopened on the 24th, started the 20th), F, G (committed by the retype), M not yet
    assert [(i["title"], i["ageDays"], i["band"]) for i in earlier["items"]] == [
        ("B", 6, None), ("F", 4, None), ("G", 2, None),
    ]  # fmt: skip


async def test_time_in_column_and_waiting_share(board: Board) -> None:
    api, me, board_id, h = board
    body = await get(api, me, board_id, "time-in-column")
    items = {i["title"]: i for i in body["items"]}
    # C: committed 10-21 11:00 CEST, done 10-25 22:00 CET = 108 real hours; Waiting for 25 of them
    assert (items["C"]["cycleHours"], items["C"]["waitingHours"], items["C"]["waitingShare"]) == (108.0, 25.0, 0.2315)
    # C: Inbox 2 h, Next 22 h, Inbox again 61 h, Waiting for 25 h (the night the clocks went back)
    assert items["C"]["hoursByColumn"] == {h.column_ids["inbox"]: 63.0, h.column_ids["next"]: 22.0,
                                           h.column_ids["waiting"]: 25.0}  # fmt: skip
    assert items["H"]["waitingShare"] == 1.0  # H waited in the column then typed WAITING, though it is Someday now
    assert items["L"]["waitingShare"] is None  # two-minute action: no elapsed cycle
    waiting = next(t for t in body["byType"] if t["type"] == "WAITING")
    assert (waiting["tasks"], waiting["totalHours"]) == (2, 49.0)
    parked = next(c for c in body["columns"] if c["name"] == "Parked")
    assert (parked["type"], parked["tasks"], parked["totalHours"]) == ("SOMEDAY", 1, 24.0)
    assert body["waitingShare"]["n"] == 9


async def test_wip_overrides_per_day(board: Board) -> None:
    api, me, board_id, h = board
    body = await get(api, me, board_id, "wip-overrides")
    assert body["total"] == 1
    assert [(i["title"], i["columnName"], i["date"]) for i in body["items"]] == [("F", "@Phone", "2026-10-22")]
    assert [d["overrides"] for d in body["days"]] == [0, 0, 1] + [0] * 9


async def test_csv_by_query_or_accept_header(board: Board) -> None:
    api, me, board_id, _ = board
    url = f"/boards/{board_id}/analytics/cfd"
    by_query = await api.client.get(url, params={**RANGE, "format": "csv"}, headers=me)
    by_accept = await api.client.get(url, params=RANGE, headers={**me, "Accept": "text/csv"})
    for response in (by_query, by_accept):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/csv")
        lines = response.text.splitlines()
        assert lines[0] == "date,arrived,committed,done,discarded,trashed"
        assert lines[1] == "2026-10-20,9,2,0,0,0" and len(lines) == 13
    aging = await api.client.get(f"/boards/{board_id}/analytics/aging", params={**RANGE, "format": "csv"}, headers=me)
    assert aging.text.splitlines()[1].split(",")[1:] == [
        "F", h_col(board, "phone"), "@Phone", "CONTEXT", "2026-10-22", "10", "100", "over-p95", "false",
    ]  # fmt: skip


def h_col(board: Board, key: str) -> str:
    return board[3].column_ids[key]


async def test_bad_ranges_are_422_naming_the_limit(board: Board) -> None:
    api, me, board_id, _ = board
    url = f"/boards/{board_id}/analytics/throughput"
    huge = await api.client.get(url, params={"from": "2020-01-01", "to": "2026-01-01"}, headers=me)
    assert huge.status_code == 422 and huge.json()["limit"] == 731 and "731" in huge.json()["detail"]
    backwards = await api.client.get(url, params={"from": "2026-02-02", "to": "2026-02-01"}, headers=me)
    assert backwards.status_code == 422 and backwards.json()["field"] == "from"
    ancient = await api.client.get(url, params={"from": "0001-01-01", "to": "0001-01-02"}, headers=me)
    assert ancient.status_code == 422 and ancient.json()["field"] == "from"
    bad_interval = await api.client.get(url, params={"interval": "month"}, headers=me)
    assert bad_interval.status_code == 422
    other = await api.make_user()
    assert (await api.client.get(url, headers=other)).status_code == 404
    assert (await api.client.get(url)).status_code == 401


# --- forecasts: a history relative to today -------------------------------------------------------


async def steady_board(api: ApiHarness, per_day: int, days: int) -> tuple[dict[str, str], str, FlowHistory]:
    """`per_day` tasks finished on each of the last `days` days (UTC owner)."""
    me = await api.make_user()
    h = FlowHistory(ZoneInfo("UTC"))
    h.column("inbox", "Inbox", "INPUT")
    h.column("next", "Next actions", "CONTEXT")
    h.column("done", "Done", "DONE")
    today = datetime.now(UTC).date()
    for back in range(1, days + 1):
        day = (today - timedelta(days=back)).isoformat()
        for n in range(per_day):
            key = f"{day}-{n}"
            h.create(key, f"{day} 08:00")
            h.move(key, f"{day} 09:00", "next")
            h.move(key, f"{day} 1{n}:00", "done")
    async with api.app.state.services.engine.begin() as conn:  # type: ignore[attr-defined]
        board_id = await h.write(conn, me["X-User-Id"], "UTC")
    return me, board_id, h


async def test_forecasts_from_steady_throughput_are_exact_and_repeatable(api: ApiHarness) -> None:
    me, board_id, _ = await steady_board(api, per_day=2, days=14)
    base = f"/boards/{board_id}/analytics/forecast"
    when = await api.client.get(f"{base}/when", params={"items": 10, "windowDays": 14}, headers=me)
    assert when.status_code == 200, when.text
    body = when.json()
    today = date.fromisoformat(body["today"])
    assert body["enoughHistory"] is True and body["sample"]["nonzeroDays"] == 14 and body["sample"]["finished"] == 28
    # Every sampled day finished 2: ten tasks take 5 days at every confidence, today being day 1.
    assert [(r["confidence"], r["days"], r["date"]) for r in body["results"]] == [
        (p, 5, (today + timedelta(days=4)).isoformat()) for p in (50, 70, 85, 95)
    ]
    until = (today + timedelta(days=9)).isoformat()
    many = (await api.client.get(f"{base}/how-many", params={"date": until, "windowDays": 14}, headers=me)).json()
    assert many["days"] == 10 and [r["items"] for r in many["results"]] == [20, 20, 20, 20]
    month = (await api.client.get(f"{base}/how-many", params={"windowDays": 14}, headers=me)).json()
    assert month["days"] == 30 and [r["items"] for r in month["results"]] == [60, 60, 60, 60]
    as_csv = await api.client.get(f"{base}/when", params={"items": 10, "windowDays": 14, "format": "csv"}, headers=me)
    assert as_csv.text.splitlines() == ["confidence,days,date"] + [
        f"{p},5,{(today + timedelta(days=4)).isoformat()}" for p in (50, 70, 85, 95)
    ]
    column = await api.client.get(f"{base}/when", params={"columnId": "nope"}, headers=me)
    assert column.status_code == 422 and column.json()["field"] == "columnId"


async def test_forecast_is_seeded_by_the_request_and_refuses_thin_history(api: ApiHarness) -> None:
    me, board_id, h = await steady_board(api, per_day=1, days=9)
    base = f"/boards/{board_id}/analytics/forecast"
    thin = (await api.client.get(f"{base}/when", params={"items": 5}, headers=me)).json()
    assert thin["enoughHistory"] is False and thin["results"] == [] and "not enough history" in thin["reason"]
    me2, board2, _ = await steady_board(api, per_day=3, days=12)
    async with api.app.state.services.engine.begin() as conn:  # type: ignore[attr-defined]
        # Uneven days: drop some finishes so trials differ.
        rows = (await conn.execute(task_events.select().where(task_events.c.board_id == board2))).all()
        finishes = [r.id for r in rows if r.to_column_type == "DONE"][::4]
        await conn.execute(delete(task_events).where(task_events.c.id.in_(finishes)))
    params = {"items": 40, "windowDays": 30}
    first = (await api.client.get(f"/boards/{board2}/analytics/forecast/when", params=params, headers=me2)).json()
    again = (await api.client.get(f"/boards/{board2}/analytics/forecast/when", params=params, headers=me2)).json()
    assert first == again and first["enoughHistory"] is True
    days = [r["days"] for r in first["results"]]
    assert days == sorted(days) and days[0] >= 14  # at most 3 a day, 18 of 30 days empty
    too_far = await api.client.get(
        f"/boards/{board2}/analytics/forecast/how-many", params={"date": "2999-01-01"}, headers=me2
    )
    assert too_far.status_code == 422 and too_far.json()["limit"] == 366


# --- history written through the API --------------------------------------------------------------


async def test_every_placement_records_its_column_types_at_write_time(api: ApiHarness) -> None:
    me = await api.make_user()
    board = await create_board(api, me)
    task = await create_task(api, me, board, title="Call Ann")
    nxt = column_id(board, "CONTEXT")
    assert (await api.client.post(f"/tasks/{task['id']}/move", json={"columnId": nxt}, headers=me)).status_code == 200
    # Retyping the column the task sits in logs both types; renaming it changes no history.
    for change in ({"type": "WAITING"}, {"name": "Blocked"}):
        assert (await api.client.patch(f"/columns/{nxt}", json=change, headers=me)).status_code == 200
    done = column_id(board, "DONE")
    assert (await api.client.post(f"/tasks/{task['id']}/move", json={"columnId": done}, headers=me)).status_code == 200
    events = (await api.client.get(f"/tasks/{task['id']}/events", headers=me)).json()["items"]
    placements = [(e["type"], e["fromColumnType"], e["toColumnType"]) for e in reversed(events) if e["toColumnType"]]
    assert placements == [
        ("created", None, "INPUT"), ("moved", "INPUT", "CONTEXT"), ("updated", "CONTEXT", "WAITING"),
        ("moved", "WAITING", "DONE"),
    ]  # fmt: skip
    cycle = (await api.client.get(f"/boards/{board['id']}/analytics/cycle-time", headers=me)).json()
    assert [(i["title"], i["cycleTimeDays"], i["leadTimeDays"]) for i in cycle["items"]] == [("Call Ann", 1, 1)]
    assert (await api.client.delete(f"/tasks/{task['id']}", headers=me)).status_code == 204
    events = (await api.client.get(f"/tasks/{task['id']}/events", headers=me)).json()["items"]
    assert (events[0]["type"], events[0]["fromColumnType"]) == ("deleted", "DONE")


async def test_analytics_are_in_the_openapi_document_with_csv(api: ApiHarness) -> None:
    paths = (await api.client.get("/openapi.json")).json()["paths"]
    for name in ("cfd", "throughput", "cycle-time", "aging", "time-in-column", "wip-overrides", "forecast/when",
                 "forecast/how-many"):  # fmt: skip
        get = paths[f"/api/v1/boards/{{boardId}}/analytics/{name}"]["get"]
        assert set(get["responses"]["200"]["content"]) == {"application/json", "text/csv"}, name
        assert "422" in get["responses"]


async def test_the_stale_marker_can_follow_the_boards_own_p85(api: ApiHarness) -> None:
    me, board_id, h = await steady_board(api, per_day=1, days=12)  # every cycle took 1 day: p85 = 1
    two_days_ago = (datetime.now(UTC).date() - timedelta(days=2)).isoformat()
    h.story("slow", f"{two_days_ago} 08:00", (f"{two_days_ago} 09:00", "next"))
    async with api.app.state.services.engine.begin() as conn:  # type: ignore[attr-defined]
        slow = h.tasks["slow"]
        await conn.execute(
            tasks.insert().values(
                id=slow.id, board_id=board_id, column_id=h.column_ids["next"], owner_id=me["X-User-Id"], title="slow",
                position=0, version=1, created_at=slow.created, updated_at=slow.last_moved,
                last_moved_at=slow.last_moved,
            )
        )  # fmt: skip
        await conn.execute(task_events.insert(), [{**e, "board_id": board_id} for e in h.events[-2:]])
        await conn.execute(update(tasks).where(tasks.c.id == slow.id).values(last_moved_at=slow.last_moved))
    by_days = (await api.client.get(f"/boards/{board_id}/stale", headers=me)).json()
    assert (by_days["staleAfterDays"], by_days["staleBasis"], by_days["count"]) == (7, "days", 0)
    changed = await api.client.patch(f"/boards/{board_id}/settings", json={"staleBasis": "p85"}, headers=me)
    assert changed.json()["settings"]["staleBasis"] == "p85"
    by_p85 = (await api.client.get(f"/boards/{board_id}/stale", headers=me)).json()
    assert (by_p85["staleAfterDays"], by_p85["staleBasis"]) == (1, "p85")
    assert [t["title"] for t in by_p85["items"]] == ["slow"]
    assert (await api.client.get(f"/tasks/{slow.id}", headers=me)).json()["stale"] is True
    bad = await api.client.patch(f"/boards/{board_id}/settings", json={"staleBasis": "p99"}, headers=me)
    assert bad.status_code == 422

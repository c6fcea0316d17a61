"""The analytics page and the cards' aging colour in a browser, on a board with weeks of history.

The history goes in through the API (an import of an export document, the one way to give a board
a past): twelve tasks committed 30 days ago and finished 1..12 days later, so by nearest rank the
cycle times are p50 6, p70 9, p85 11, p95 12 days; one card in progress for 26 days, one since today.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import api, board_of, card, sign_up, until

pytestmark = pytest.mark.e2e


def _at(day: date, hour: int) -> str:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC).isoformat().replace("+00:00", "Z")


def _history_document(page: Any) -> dict[str, Any]:
    """The person's own board exported, then given a past: tasks and their events at earlier times."""
    board = board_of(page)
    api(page, "POST", f"/boards/{board['id']}/tasks", {"title": "shape of a task"})
    doc: dict[str, Any] = api(page, "GET", f"/boards/{board['id']}/export")
    exported = doc["boards"][0]
    task_shape, event_shape = exported["tasks"][0], exported["taskEvents"][0]
    by_type = {c["type"]: c for c in exported["columns"]}
    inbox, nxt, done = by_type["INPUT"], by_type["CONTEXT"], by_type["DONE"]
    today = datetime.now(UTC).date()
    tasks: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []

    def story(title: str, created: date, *moves: tuple[date, dict[str, Any]]) -> None:
        task_id = str(uuid.uuid4())
        place, at = inbox, _at(created, 8)
        events.append({**event_shape, "id": str(uuid.uuid4()), "taskId": task_id, "type": "created", "createdAt": at,
                       "fromColumnId": None, "fromColumnType": None, "toColumnId": inbox["id"],
                       "toColumnType": "INPUT", "payload": {"title": title, "wipOverride": False}})  # fmt: skip
        for day, to in moves:
            at = _at(day, 10)
            events.append({**event_shape, "id": str(uuid.uuid4()), "taskId": task_id, "type": "moved",
                           "createdAt": at, "fromColumnId": place["id"], "fromColumnType": place["type"],
                           "toColumnId": to["id"], "toColumnType": to["type"],
                           "payload": {"changedFields": ["column_id"], "wipOverride": False}})  # fmt: skip
            place = to
        tasks.append({**task_shape, "id": task_id, "title": title, "columnId": place["id"], "position": len(tasks),
                      "isDone": place["type"] == "DONE", "completedAt": at if place["type"] == "DONE" else None,
                      "createdAt": _at(created, 8), "updatedAt": at, "lastMovedAt": at, "version": 1,
                      "tagIds": [], "projectId": None})  # fmt: skip

    for k in range(1, 13):
        started = today - timedelta(days=30)
        story(f"Finished {k}", started - timedelta(days=2), (started, nxt), (started + timedelta(days=k - 1), done))
    story("Old card", today - timedelta(days=27), (today - timedelta(days=25), nxt))
    story("New card", today - timedelta(days=1), (today, nxt))
    exported.update(name="Flow history", tasks=tasks, taskEvents=events, checklistItems=[], hints=[])
    return {**doc, "exportId": str(uuid.uuid4()), "boards": [exported], "defaultBoardId": None}


def _percentiles_line(p: dict[str, Any]) -> str:
    return f"n = {p['n']} · p50 {p['p50']} d · p70 {p['p70']} d · p85 {p['p85']} d · p95 {p['p95']} d"


def _violations(page: Any) -> list[dict[str, Any]]:
    page.add_script_tag(url="/static/vendor/axe-core/axe.min.js")
    found = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
    return [{"id": v["id"], "nodes": [n["target"] for n in v["nodes"][:3]]} for v in found
            if v["impact"] in ("serious", "critical")]  # fmt: skip


def test_the_analytics_page_and_the_aging_colour(browser: Any, base_url: str, tmp_path: Path) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" or "Content Security" in m.text else None)
    sign_up(page, base_url)
    report = api(page, "POST", "/imports", _history_document(page))
    board_id = report["boards"][0]["id"]
    project = api(page, "POST", f"/boards/{board_id}/projects", {"name": "Garden"})
    for title in ("Dig", "Plant", "Water"):
        api(page, "POST", f"/boards/{board_id}/tasks", {"title": title, "projectId": project["id"]})

    page.goto(f"{base_url}/boards/{board_id}/analytics")
    until(page, "document.body.dataset.charts === 'ready'")
    assert page.locator(".chart canvas").count() == 4
    today = datetime.now(UTC).date()
    first, last = page.get_by_label("From", exact=True).input_value(), page.get_by_label("To", exact=True).input_value()
    assert (first, last) == ((today - timedelta(days=83)).isoformat(), today.isoformat())  # twelve weeks
    answer = api(page, "GET", f"/boards/{board_id}/analytics/cycle-time?from={first}&to={last}")
    assert answer["cycleTime"] == {"n": 12, "enough": True, "p50": 6, "p70": 9, "p85": 11, "p95": 12}
    assert page.locator("#cycle-percentiles").inner_text() == _percentiles_line(answer["cycleTime"])
    aging = page.locator("#aging-table")
    assert aging.locator("tr.aging-old").inner_text().startswith("Old card")
    assert "26" in aging.locator("tr.aging-old").inner_text() and "past p95" in aging.inner_text()
    assert page.get_by_role("link", name="CSV").count() == 5

    # The forecast for the project's three open tasks, as the API answers it.
    page.get_by_label("When will these be done?").select_option(label="Garden")
    page.get_by_role("button", name="Forecast when").click()
    page.get_by_text("When will 3 tasks be done?").wait_for()
    assert "ask=" not in page.url  # answered in place, the charts left as they were
    when = api(page, "GET", f"/boards/{board_id}/analytics/forecast/when?projectId={project['id']}")
    assert when["enoughHistory"] is True
    rows = page.locator("#forecast-answer tbody tr")
    assert [rows.nth(n).inner_text().split("\t")[:2] for n in range(4)] == [
        [f"{r['confidence']} %", r["date"]] for r in when["results"]
    ]
    page.screenshot(path=str(tmp_path / "analytics.png"), full_page=True)
    page.get_by_role("button", name="Forecast how many").click()
    page.get_by_text("How many will be done by").wait_for()
    assert page.locator("#forecast-answer tbody tr").count() == 4

    # A shorter range: six finished tasks, so the percentiles are withheld and said to be.
    page.get_by_label("From", exact=True).fill((today - timedelta(days=24)).isoformat())
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**from=*")
    until(page, "document.body.dataset.charts === 'ready'")
    assert page.locator("#cycle-percentiles").inner_text().startswith("Not enough finished tasks")
    assert "n = 6" in page.locator("#cycle-percentiles").inner_text()

    # Accessible in both themes, at desk and phone width.
    found: dict[str, Any] = {}
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        page.goto(f"{base_url}/boards/{board_id}/analytics")
        until(page, "document.body.dataset.charts === 'ready'")
        if v := _violations(page):
            found[scheme] = v
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    until(page, "document.body.dataset.charts === 'ready'")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), "wider than the phone"
    page.screenshot(path=str(tmp_path / "analytics-phone-dark.png"), full_page=True)
    assert not found, found

    # The board: the old card is edged as past p85, the new one as young, the legend says why.
    page.set_viewport_size({"width": 1280, "height": 900})
    page.emulate_media(color_scheme="light")
    page.goto(f"{base_url}/boards/{board_id}")
    assert "aging-old" in (card(page, "Old card").get_attribute("class") or "")
    assert "aging-young" in (card(page, "New card").get_attribute("class") or "")
    assert "aging-" not in (card(page, "Dig").get_attribute("class") or "")  # in the Inbox: not started
    assert "26 days since started: past p95" in (
        card(page, "Old card").locator(".chip.age").get_attribute("title") or ""
    )
    assert "below p50 (6 d)" in page.locator(".aging-legend").inner_text()
    page.screenshot(path=str(tmp_path / "board-aging.png"))
    assert not problems, problems
    context.close()

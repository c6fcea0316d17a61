"""The analytics page, its forecast fragment and the cards' aging edge, rendered over httpx on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from tests.integration.api.conftest import ApiHarness
from tests.integration.api.test_board_aging import seeded

ROOT = "http://test"


async def test_the_page_shows_every_metric_of_the_last_twelve_weeks(api: ApiHarness) -> None:
    me, board_id, _ = await seeded(api, finished=10)
    page = await api.client.get(f"{ROOT}/boards/{board_id}/analytics", headers=me)
    assert page.status_code == 200
    html = page.text
    today = datetime.now(UTC).date()
    assert f'value="{today - timedelta(days=83)}"' in html and f'value="{today}"' in html
    assert "n = 10 · p50 5 d · p70 7 d · p85 9 d · p95 10 d" in html
    assert len(re.findall(r'class="chart" data-chart="[a-z-]+" data-answer="\{', html)) == 4
    assert html.count('&amp;format=csv" download>CSV</a>') == 5
    assert re.search(r'<tr class="aging-old"><th scope="row"><a href="/tasks/[\w-]+">old</a>', html)
    assert not re.search(r"<script(?![^>]*\bsrc=)", html) and not re.search(r"\s(style|on[a-z]+)=", html)


async def test_a_bad_range_or_empty_fields_are_said_not_refused(api: ApiHarness) -> None:
    me, board_id, _ = await seeded(api, finished=3)
    backwards = await api.client.get(
        f"{ROOT}/boards/{board_id}/analytics", params={"from": "2026-05-02", "to": "2026-05-01"}, headers=me
    )
    assert backwards.status_code == 200
    assert "is after to" in backwards.text and "showing the last 12 weeks instead" in backwards.text
    assert "Not enough finished tasks for cycle-time percentiles (n = 3; they need 10)." in backwards.text
    empty = await api.client.get(
        f"{ROOT}/boards/{board_id}/analytics", params={"from": "", "to": "", "ask": "when", "items": ""}, headers=me
    )
    assert empty.status_code == 200 and "give a number of tasks from 1 to 10000" in empty.text


async def test_the_forecast_fragment_answers_or_says_why_not(api: ApiHarness) -> None:
    me, board_id, _ = await seeded(api, finished=10)  # finishes on ten days 31..40 days ago
    url = f"{ROOT}/ui/boards/{board_id}/analytics/forecast"
    when = await api.client.get(url, params={"ask": "when", "scope": "items", "items": "4"}, headers=me)
    assert "When will 4 tasks be done?" in when.text
    assert [row.split("</th>")[0] for row in re.findall(r'<tr><th scope="row">([^<]+ %</th>)', when.text)] == [
        "50 %", "70 %", "85 %", "95 %"
    ]  # fmt: skip
    how_many = await api.client.get(url, params={"ask": "how-many", "until": ""}, headers=me)
    assert "How many will be done by" in how_many.text and "At least" in how_many.text
    thin, thin_board, _ = await seeded(api, finished=3)
    unsure = await api.client.get(
        f"{ROOT}/ui/boards/{thin_board}/analytics/forecast", params={"ask": "when", "items": "4"}, headers=thin
    )
    assert "Not enough history: fewer than 10 days with a finished task" in unsure.text  # not a made-up date
    assert "forecast-answer" not in unsure.text
    refused = await api.client.get(url, params={"ask": "when", "items": "4"}, headers=thin)
    assert refused.status_code == 404  # another person's board


async def test_a_card_re_rendered_alone_keeps_its_aging_edge(api: ApiHarness) -> None:
    me, board_id, h = await seeded(api, finished=10)
    card = await api.client.get(f"{ROOT}/ui/tasks/{h.tasks['old'].id}/card", headers=me)
    assert re.match(r'\s*<article class="card aging-old"', card.text)
    assert "In progress 21 days since started: past p95" in card.text
    board = await api.client.get(f"{ROOT}/boards/{board_id}", headers=me)
    assert "below p50 (5 d)" in board.text and "past p85 (9 d)" in board.text

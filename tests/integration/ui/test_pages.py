"""The UI's pages, rendered over the API's own handlers, on SQLite and PostgreSQL (httpx, no browser)."""

from __future__ import annotations

import re
from typing import Any

import httpx

from kanban.api.tables import hints
from kanban.db.types import new_id, utcnow
from tests.integration.api.conftest import ApiHarness

ROOT = "http://test"


async def _board_with_tasks(api: ApiHarness, headers: dict[str, str]) -> dict[str, Any]:
    board = (await api.client.get("/boards/default", headers=headers)).json()
    columns = {c["type"]: c["id"] for c in board["columns"]}
    created = await api.client.post(
        f"/boards/{board['id']}/tasks",
        json={"title": "File <taxes>", "description": "**Soon**\n\n<script>alert(1)</script>", "tags": ["money"],
              "dueAt": "2020-01-01T00:00:00Z", "context": "PHONE", "priority": "HIGH", "durationMinutes": 90},
        headers=headers,
    )  # fmt: skip
    task = created.json()
    await api.client.post(f"/tasks/{task['id']}/checklist", json={"title": "Find receipts"}, headers=headers)
    for n in range(12):
        await api.client.post(
            f"/boards/{board['id']}/tasks", json={"title": f"Old {n}", "columnId": columns["DONE"]}, headers=headers
        )
    return {"board": board, "columns": columns, "task": task}


def _no_inline_code(html: str) -> None:
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert not re.search(r"\s(style|on[a-z]+)=", html)


async def test_signed_out_visitors_go_to_the_sign_in_page(api: ApiHarness) -> None:
    response = await api.client.get(f"{ROOT}/boards/whatever")
    assert response.status_code == 303 and response.headers["location"] == "/login?next=/boards/whatever"
    login = await api.client.get(f"{ROOT}/login?next=//evil.test")
    assert login.status_code == 200 and 'data-then="redirect:/"' in login.text
    _no_inline_code(login.text)
    assert (await api.client.get(f"{ROOT}/signup")).status_code == 200


async def test_the_board_page_shows_columns_cards_and_their_badges(api: ApiHarness) -> None:
    headers = await api.make_user()
    made = await _board_with_tasks(api, headers)
    board_id, task = made["board"]["id"], made["task"]
    home = await api.client.get(f"{ROOT}/", headers=headers)
    assert home.status_code == 303 and home.headers["location"] == f"/boards/{board_id}"
    page = await api.client.get(f"{ROOT}/boards/{board_id}", headers=headers)
    assert page.status_code == 200
    html = page.text
    _no_inline_code(html)
    for name in ("Inbox", "Next actions", "Waiting for", "Someday/Maybe", "Done", "Archive"):
        assert f">{name}</h2>" in html
    assert "File &lt;taxes&gt;" in html and "<taxes>" not in html
    assert 'class="tag" data-color=' in html and ">money<" in html
    assert "Overdue" in html and "@phone" in html and "☑ 0/1" in html
    # What a person picks the next action by: its priority and how long it takes.
    assert 'class="chip priority-high" title="Priority">High<' in html and 'title="Duration">1 h 30<' in html
    # Done holds 12 cards; it shows the 10 latest and offers the rest.
    assert "Show 2 more" in html
    done_id = made["columns"]["DONE"]
    more = await api.client.get(f"{ROOT}/ui/boards/{board_id}/columns/{done_id}", headers=headers)
    assert more.text.count('<article class="card') == 12
    card = await api.client.get(f"{ROOT}/ui/tasks/{task['id']}/card", headers=headers)
    assert f'id="task-{task["id"]}"' in card.text and 'data-version="' in card.text


async def test_a_card_shows_how_many_hints_wait(api: ApiHarness) -> None:
    headers = await api.make_user()
    made = await _board_with_tasks(api, headers)
    task_id = made["task"]["id"]
    now = utcnow()
    async with api.app.state.services.engine.begin() as conn:  # type: ignore[attr-defined]
        for status in ("proposed", "proposed", "dismissed"):
            await conn.execute(
                hints.insert().values(id=new_id(), task_id=task_id, agent_id="tagger", hint_type="tags",
                                      status=status, created_at=now, updated_at=now)
            )  # fmt: skip
    card = await api.client.get(f"{ROOT}/ui/tasks/{task_id}/card", headers=headers)
    assert '<span class="chip hint">2 hints</span>' in card.text
    task_page = await api.client.get(f"{ROOT}/tasks/{task_id}", headers=headers)
    assert '<a href="#hints">2 hints waiting ↓</a>' in task_page.text  # on a phone they come below the form


async def test_clarify_offers_what_the_worker_proposes_for_the_task_at_hand(api: ApiHarness) -> None:
    headers = await api.make_user()
    board = (await api.client.get("/boards/default", headers=headers)).json()
    task = (
        await api.client.post(f"/boards/{board['id']}/tasks", json={"title": "Email Sarah"}, headers=headers)
    ).json()
    now, ids = utcnow(), {"proposed": new_id(), "dismissed": new_id()}
    async with api.app.state.services.engine.begin() as conn:  # type: ignore[attr-defined]
        for status, hint_id in ids.items():
            await conn.execute(
                hints.insert().values(id=hint_id, task_id=task["id"], agent_id="analyzer", hint_type="context",
                                      status=status, data={"context": "EMAIL" if status == "proposed" else "HOME"},
                                      confidence=0.95, created_at=now, updated_at=now)
            )  # fmt: skip
    page = (await api.client.get(f"{ROOT}/boards/{board['id']}/clarify", headers=headers)).text
    _no_inline_code(page)
    assert "What it has now" not in page  # nothing set yet: no empty row
    assert "The Worker suggests" in page and "context: email" in page and "context: home" not in page
    assert f'data-api="POST /api/v1/hints/{ids["proposed"]}/apply"' in page
    assert f'data-key="h" data-api="POST /api/v1/tasks/{task["id"]}/hints/apply"><kbd>h</kbd> Apply all<' in page
    applied = await api.client.post(f"/hints/{ids['proposed']}/apply", headers=headers)
    assert applied.status_code == 200, applied.text
    page = (await api.client.get(f"{ROOT}/boards/{board['id']}/clarify", headers=headers)).text
    assert "Email Sarah" in page and "The Worker suggests" not in page  # applied: nothing left to offer
    # What was applied shows on the task at hand, as on its card.
    assert '<div class="card-meta" aria-label="What it has now"><span class="chip">@email</span></div>' in page


async def test_a_stranger_gets_no_card_and_no_board(api: ApiHarness) -> None:
    owner = await api.make_user()
    made = await _board_with_tasks(api, owner)
    stranger = await api.make_user()
    card = await api.client.get(f"{ROOT}/ui/tasks/{made['task']['id']}/card", headers=stranger)
    assert card.status_code == 404
    page = await api.client.get(f"{ROOT}/boards/{made['board']['id']}", headers=stranger)
    assert page.status_code == 404


async def test_the_task_page_renders_sanitised_markdown_checklist_hints_and_history(api: ApiHarness) -> None:
    headers = await api.make_user()
    made = await _board_with_tasks(api, headers)
    task_id = made["task"]["id"]
    changed = await api.client.patch(
        f"/tasks/{task_id}", json={"dueAt": "2031-01-01T00:00:00Z", "durationMinutes": 30}, headers=headers
    )
    assert changed.status_code == 200, changed.text
    page = await api.client.get(f"{ROOT}/tasks/{task_id}", headers=headers)
    assert page.status_code == 200
    html = page.text
    _no_inline_code(html)
    assert "<strong>Soon</strong>" in html and "&lt;script&gt;" in html
    assert "Find receipts" in html and "Re-run analysis" in html and "created" in html
    # The history says what each change touched, in words.
    assert '<span class="muted">checklist</span>' in html
    assert re.search(r'<span class="muted">(due date, duration|duration, due date)</span>', html)


async def test_clarify_search_settings_and_keys_pages(api: ApiHarness) -> None:
    headers = await api.make_user()
    made = await _board_with_tasks(api, headers)
    board_id = made["board"]["id"]
    clarify = await api.client.get(f"{ROOT}/boards/{board_id}/clarify", headers=headers)
    assert "left to clarify" in clarify.text and "File &lt;taxes&gt;" in clarify.text
    found = await api.client.get(f"{ROOT}/boards/{board_id}/search?q=taxes", headers=headers)
    assert found.status_code == 200 and "1 task" in found.text
    assert '<span class="chip column">in Inbox</span>' in found.text  # where the found task is
    fragment = await api.client.get(
        f"{ROOT}/boards/{board_id}/search?done=true", headers={**headers, "HX-Request": "true"}
    )
    assert fragment.text.startswith('<div id="results">') and "12 tasks" in fragment.text
    stale = await api.client.get(f"{ROOT}/boards/{board_id}/search?view=stale", headers=headers)
    assert stale.status_code == 200
    for path in (f"/boards/{board_id}/settings", "/keys"):
        response = await api.client.get(f"{ROOT}{path}", headers=headers)
        assert response.status_code == 200, path
        _no_inline_code(response.text)


async def test_api_docs_and_static_files_work_offline(api: ApiHarness) -> None:
    docs = await api.client.get(f"{ROOT}/api/v1/docs")
    assert docs.status_code == 200 and "/static/vendor/swagger-ui-dist/swagger-ui-bundle.js" in docs.text
    _no_inline_code(docs.text)
    assert "cdn" not in docs.text.lower()
    src = re.search(r'src="(/static/js/swagger-init\.js\?v=\w+)"', docs.text)
    assert src
    script = await api.client.get(f"{ROOT}{src.group(1)}", headers={"Accept-Encoding": "gzip"})
    assert script.status_code == 200 and "immutable" in script.headers["cache-control"]
    big = await api.client.get(f"{ROOT}/static/vendor/htmx.org/htmx.min.js", headers={"Accept-Encoding": "gzip"})
    assert big.headers.get("content-encoding") == "gzip"
    # A module imported by another module has no hash: it is revalidated, never kept stale for a year.
    imported = await api.client.get(f"{ROOT}/static/js/api.js")
    assert imported.status_code == 200 and imported.headers["cache-control"] == "no-cache"
    unchanged = await api.client.get(f"{ROOT}/static/js/api.js", headers={"If-None-Match": imported.headers["etag"]})
    assert unchanged.status_code == 304 and unchanged.headers["cache-control"] == "no-cache"
    assert (await api.client.get(f"{ROOT}/static/../routes.py")).status_code == 404


async def test_the_api_stays_json(api: ApiHarness) -> None:
    response = await api.client.get("/boards")
    assert response.status_code == 401 and response.headers["content-type"].startswith("application/problem+json")
    assert isinstance(httpx.Response, type)

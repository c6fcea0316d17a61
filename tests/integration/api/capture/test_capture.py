"""POST /capture and /capture/preview: quick-add text or a URL lands in the Inbox, once per Idempotency-Key."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import update

from kanban.api.tables import columns, task_events, users
from tests.integration.api.board_helpers import column_id, count_rows, create_board
from tests.integration.api.conftest import ApiHarness
from tests.integration.api.factories import outbox_events

TEXT = "Call Anna fri 3pm @phone #family +Garden !high ~15m"


async def _in_berlin(api: ApiHarness, me: dict[str, str]) -> None:
    async with api.app.state.services.engine.begin() as conn:  # type: ignore[attr-defined]
        await conn.execute(update(users).where(users.c.id == me["X-User-Id"]).values(timezone="Europe/Berlin"))


async def test_preview_shows_what_was_recognised_without_saving(api: ApiHarness) -> None:
    me = await api.make_user()
    await _in_berlin(api, me)
    board = await create_board(api, me)
    answer = await api.client.post("/capture/preview", json={"text": TEXT, "boardId": board["id"]}, headers=me)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    assert body["title"] == "Call Anna"
    assert body["context"] == "PHONE" and body["tags"] == ["family"] and body["priority"] == "HIGH"
    assert body["project"] == {"name": "Garden", "id": None}
    assert body["durationMinutes"] == 15 and body["timezone"] == "Europe/Berlin"
    assert [s["kind"] for s in body["spans"]] == ["due", "context", "tag", "project", "priority", "duration"]
    assert await count_rows(api, task_events) == 0


async def test_capture_lands_in_the_inbox_through_the_task_path(api: ApiHarness) -> None:
    me = await api.make_user()
    await _in_berlin(api, me)
    board = await create_board(api, me)
    answer = await api.client.post("/capture", json={"text": TEXT, "source": "cli"}, headers=me)
    assert answer.status_code == 201, answer.text
    task = answer.json()["task"]
    assert answer.json()["kind"] == "task"
    assert task["boardId"] == board["id"]  # the default board
    assert task["columnId"] == column_id(board, "INPUT")
    assert (task["title"], task["context"], task["priority"], task["durationMinutes"]) == ("Call Anna", "PHONE",
                                                                                           "HIGH", 15)  # fmt: skip
    assert [t["name"] for t in task["tags"]] == ["family"]
    assert task["source"] == "cli" and task["projectId"] is not None
    assert task["dueAt"].endswith(":00:00Z")  # 15:00 in Berlin, stored in UTC
    assert ("task.created", task["id"]) in [(t, a) for t, a in await outbox_events(api, task["id"])]
    projects = (await api.client.get(f"/boards/{board['id']}/projects", headers=me)).json()
    assert [p["name"] for p in (projects["items"] if isinstance(projects, dict) else projects)] == ["Garden"]
    again = await api.client.post("/capture", json={"text": "Seeds +garden"}, headers=me)
    assert again.json()["task"]["projectId"] == task["projectId"]  # found by name, not made twice


async def test_an_idempotency_key_never_makes_two_tasks(api: ApiHarness) -> None:
    me = await api.make_user()
    await create_board(api, me)
    key = {**me, "Idempotency-Key": "k-1"}
    first = await api.client.post("/capture", json={"text": "Buy milk"}, headers=key)
    second = await api.client.post("/capture", json={"text": "Buy milk"}, headers=key)
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.headers["Idempotent-Replayed"] == "true"
    assert first.json()["task"]["id"] == second.json()["task"]["id"]
    twins = await asyncio.gather(
        *[api.client.post("/capture", json={"text": "Twin"}, headers={**me, "Idempotency-Key": "k-2"}) for _ in "ab"]
    )
    assert sorted(r.status_code for r in twins) in ([200, 201], [201, 409])
    # A twin still in progress says "retry" (an offline queue sends it again); another body does not.
    assert all(r.json().get("retryAfter") == 1 for r in twins if r.status_code == 409)
    other = await api.client.post("/capture", json={"text": "Something else"}, headers=key)
    assert other.status_code == 409 and "retryAfter" not in other.json()
    assert await count_rows(api, task_events, type="created") == 2


async def test_a_url_is_captured_for_the_worker_to_fetch(api: ApiHarness) -> None:
    me = await api.make_user()
    await create_board(api, me)
    url = "https://example.org/article"
    answer = await api.client.post(
        "/capture", json={"url": url, "note": "read later", "source": "bookmarklet"}, headers=me
    )
    assert answer.status_code == 201, answer.text
    task = answer.json()["task"]
    assert task["title"] == url and task["description"] == f"{url}\n\nread later"
    assert task["metadata"] == {"url": url} and task["source"] == "bookmarklet"
    shared = await api.client.post(
        "/capture", json={"text": "From the phone", "url": url, "source": "share"}, headers=me
    )
    assert shared.status_code == 201 and shared.json()["task"]["source"] == "share"


async def test_every_monday_makes_a_recurring_template(api: ApiHarness) -> None:
    me = await api.make_user()
    await _in_berlin(api, me)
    board = await create_board(api, me)
    answer = await api.client.post("/capture", json={"text": "Water plants every monday 8am #home"}, headers=me)
    assert answer.status_code == 201, answer.text
    template = answer.json()["template"]
    assert answer.json()["kind"] == "template"
    assert template["rrule"] == "FREQ=WEEKLY;BYDAY=MO;BYHOUR=8;BYMINUTE=0"
    assert template["timezone"] == "Europe/Berlin" and template["payload"]["tags"] == ["home"]
    assert template["boardId"] == board["id"] and template["nextRunAt"] is not None


async def test_bad_captures_are_clear_problems(api: ApiHarness) -> None:
    me = await api.make_user()
    board = await create_board(api, me)
    empty = await api.client.post("/capture", json={"text": "  "}, headers=me)
    only_date = await api.client.post("/capture", json={"text": "tomorrow"}, headers=me)
    email = await api.client.post("/capture", json={"text": "x", "source": "email"}, headers=me)
    assert (empty.status_code, only_date.status_code, email.status_code) == (422, 422, 422)
    assert only_date.headers["content-type"].startswith("application/problem+json")
    async with api.app.state.services.engine.begin() as conn:  # type: ignore[attr-defined]
        await conn.execute(update(columns).where(columns.c.id == column_id(board, "INPUT")).values(wip_limit=1))
    assert (await api.client.post("/capture", json={"text": "one"}, headers=me)).status_code == 201
    full = await api.client.post("/capture", json={"text": "two"}, headers=me)
    assert full.status_code == 409 and full.json()["title"] == "WIP limit reached"


async def test_a_captured_recurrence_creates_its_tasks_with_every_parsed_field(api: ApiHarness) -> None:
    from datetime import timedelta

    from kanban.api.templates.scheduler import run_due_templates
    from kanban.db.types import utcnow

    me = await api.make_user()
    board = await create_board(api, me)
    made = await api.client.post("/capture", json={"text": "Stretch every day @desk #health !low ~10m"}, headers=me)
    assert made.status_code == 201, made.text
    services = api.app.state.services  # type: ignore[attr-defined]
    assert await run_due_templates(services.engine, services.new_unit_of_work, utcnow() + timedelta(days=1)) >= 1
    page = (await api.client.get(f"/boards/{board['id']}/tasks", params={"q": "Stretch"}, headers=me)).json()
    task = page["items"][0]
    assert (task["context"], task["priority"], task["durationMinutes"]) == ("DESK", "LOW", 10)
    assert [t["name"] for t in task["tags"]] == ["health"] and task["source"] == "template"

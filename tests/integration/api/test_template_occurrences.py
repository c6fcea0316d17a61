"""A recurring template that comes due creates its task once, through the normal task path."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from kanban.api import tables as t
from kanban.api.templates.scheduler import run_due_templates
from kanban.db.types import utcnow
from tests.integration.api.board_helpers import column_id, count_rows, create_board
from tests.integration.api.conftest import ApiHarness

WEEKLY = "FREQ=WEEKLY;BYDAY=FR;BYHOUR=14"


def _services(api: ApiHarness) -> Any:
    return api.app.state.services  # type: ignore[attr-defined]


async def _template(api: ApiHarness, me: dict[str, str], board: dict[str, Any], **payload: Any) -> str:
    body = {"name": "Weekly review", "rrule": WEEKLY, "payload": {"title": "Weekly review"} | payload}
    reply = await api.client.post(f"/boards/{board['id']}/templates", json=body, headers=me)
    assert reply.status_code == 201, reply.text
    return str(reply.json()["id"])


async def _make_due(api: ApiHarness, template_id: str) -> None:
    async with _services(api).engine.begin() as conn:
        await conn.execute(
            update(t.recurring_templates)
            .where(t.recurring_templates.c.id == template_id)
            .values(next_run_at=utcnow() - timedelta(minutes=1))
        )


async def _run(api: ApiHarness) -> int:
    return await run_due_templates(_services(api).engine, _services(api).new_unit_of_work)


async def test_a_due_occurrence_creates_its_task_with_its_checklist_once(api: ApiHarness) -> None:
    me = await api.make_user()
    board = await create_board(api, me)
    template_id = await _template(
        api, me, board, description="Inbox zero", checklist=["Empty the inbox", "Plan next week"]
    )
    await _make_due(api, template_id)

    assert await _run(api) == 1
    assert await _run(api) == 0  # the occurrence moved on: no second task

    found = (await api.client.get(f"/boards/{board['id']}/tasks", params={"q": "Weekly review"}, headers=me)).json()
    [task] = found["items"]
    assert task["columnId"] == column_id(board, "INPUT") and task["description"] == "Inbox zero"
    checklist = (await api.client.get(f"/tasks/{task['id']}/checklist", headers=me)).json()
    assert [i["title"] for i in checklist["items"]] == ["Empty the inbox", "Plan next week"]
    events = (await api.client.get(f"/tasks/{task['id']}/events", headers=me)).json()["items"]
    assert events[-1]["type"] == "created" and events[-1]["triggeredBy"] == f"template:{template_id}"
    assert await count_rows(api, t.messaging.outbox, event_type="task.created") == 1
    template = (await api.client.get(f"/templates/{template_id}", headers=me)).json()
    assert template["lastRunAt"] is not None and template["nextRunAt"] > template["lastRunAt"]


async def test_an_occurrence_that_cannot_be_created_is_skipped_not_retried(api: ApiHarness) -> None:
    me = await api.make_user()
    board = await create_board(api, me)
    inbox = column_id(board, "INPUT")
    assert (await api.client.patch(f"/columns/{inbox}", json={"wipLimit": 1}, headers=me)).status_code == 200
    await api.client.post(f"/boards/{board['id']}/tasks", json={"title": "Already here"}, headers=me)
    template_id = await _template(api, me, board)
    await _make_due(api, template_id)

    assert await _run(api) == 0  # the Inbox is at its WIP limit
    assert await count_rows(api, t.tasks, board_id=board["id"]) == 1
    async with _services(api).engine.connect() as conn:
        next_run = await conn.scalar(
            select(t.recurring_templates.c.next_run_at).where(t.recurring_templates.c.id == template_id)
        )
    assert next_run > utcnow()


async def test_an_inactive_template_does_not_run(api: ApiHarness) -> None:
    me = await api.make_user()
    board = await create_board(api, me)
    template_id = await _template(api, me, board)
    await _make_due(api, template_id)
    assert (
        await api.client.patch(f"/templates/{template_id}", json={"isActive": False}, headers=me)
    ).status_code == 200
    await _make_due(api, template_id)
    assert await _run(api) == 0
    assert await count_rows(api, t.tasks, board_id=board["id"]) == 0

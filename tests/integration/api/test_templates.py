"""Recurring templates: a task payload, a recurrence rule in a time zone, and the next run it implies."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tests.integration.api.conftest import ApiHarness
from tests.integration.api.factories import BoardRows, make_board, problem_fields


def a_template(board: BoardRows, **overrides: Any) -> dict[str, Any]:
    template: dict[str, Any] = {
        "name": "Weekly review",
        "payload": {
            "title": "Do the weekly review",
            "context": "DESK",
            "columnId": board.columns["CONTEXT"],
            "checklist": ["Empty the inbox", "Review projects"],
        },
        "rrule": "FREQ=WEEKLY;BYDAY=FR;BYHOUR=14",
        "timezone": "Europe/Berlin",
    }
    template.update(overrides)
    return template


async def test_create_computes_the_next_run(api: ApiHarness) -> None:
    me = await api.make_user()
    board = await make_board(api, me)
    created = await api.client.post(f"/boards/{board.board_id}/templates", json=a_template(board), headers=me)
    assert created.status_code == 201, created.text
    template = created.json()
    assert template["isActive"] is True and template["lastRunAt"] is None
    assert template["payload"]["checklist"] == ["Empty the inbox", "Review projects"]
    assert template["payload"]["needsBreakdown"] is False
    next_run = datetime.fromisoformat(template["nextRunAt"])
    assert next_run > datetime.fromisoformat(template["createdAt"])
    # Friday 14:00 in Berlin is 13:00 UTC in winter and 12:00 UTC in summer.
    assert next_run.weekday() == 4 and (next_run.hour, next_run.minute) in {(13, 0), (12, 0)}

    listed = (await api.client.get(f"/boards/{board.board_id}/templates", headers=me)).json()
    assert [t["id"] for t in listed] == [template["id"]]
    assert (await api.client.get(f"/templates/{template['id']}", headers=me)).json() == template


async def test_update_recomputes_and_deactivating_clears_the_next_run(api: ApiHarness) -> None:
    me = await api.make_user()
    board = await make_board(api, me)
    template = (await api.client.post(f"/boards/{board.board_id}/templates", json=a_template(board), headers=me)).json()

    daily = await api.client.patch(
        f"/templates/{template['id']}", json={"rrule": "FREQ=DAILY;BYHOUR=6;BYMINUTE=30", "timezone": "UTC"}, headers=me
    )
    assert daily.status_code == 200
    next_run = datetime.fromisoformat(daily.json()["nextRunAt"])
    assert (next_run.hour, next_run.minute) == (6, 30)

    paused = await api.client.patch(f"/templates/{template['id']}", json={"isActive": False}, headers=me)
    assert (paused.json()["isActive"], paused.json()["nextRunAt"]) == (False, None)
    resumed = await api.client.patch(f"/templates/{template['id']}", json={"isActive": True}, headers=me)
    assert resumed.json()["nextRunAt"] == daily.json()["nextRunAt"]

    renamed = await api.client.patch(
        f"/templates/{template['id']}", json={"name": "Review", "payload": {"title": "Review"}}, headers=me
    )
    assert renamed.json()["name"] == "Review" and renamed.json()["payload"]["title"] == "Review"
    assert renamed.json()["payload"]["columnId"] is None

    assert (await api.client.delete(f"/templates/{template['id']}", headers=me)).status_code == 204
    assert (await api.client.get(f"/templates/{template['id']}", headers=me)).status_code == 404


async def test_invalid_fields_are_named(api: ApiHarness) -> None:
    me = await api.make_user()
    board, other = await make_board(api, me), await make_board(api, me)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"rrule": "FREQ=YEARLY"}, "rrule"),
        ({"rrule": "FREQ=WEEKLY;BYDAY=XX"}, "rrule"),
        ({"rrule": ""}, "rrule"),
        ({"timezone": "Europe/Atlantis"}, "timezone"),
        ({"payload": {"title": ""}}, "payload.title"),
        ({"payload": {"title": "t", "context": "GARDEN"}}, "payload.context"),
        ({"payload": {"title": "t", "columnId": other.columns["INPUT"]}}, "payload.columnId"),
        ({"payload": {"title": "t", "projectId": "missing"}}, "payload.projectId"),
        ({"name": " "}, "name"),
        ({"isActive": "sometimes"}, "isActive"),
    ]
    for overrides, field in cases:
        response = await api.client.post(
            f"/boards/{board.board_id}/templates", json=a_template(board, **overrides), headers=me
        )
        assert response.status_code == 422, overrides
        assert field in problem_fields(response.json()), (overrides, response.json())

    template = (await api.client.post(f"/boards/{board.board_id}/templates", json=a_template(board), headers=me)).json()
    for body, field in [
        ({"rrule": "FREQ=HOURLY"}, "rrule"),
        ({"timezone": "Nowhere"}, "timezone"),
        ({"rrule": None}, "rrule"),
    ]:
        response = await api.client.patch(f"/templates/{template['id']}", json=body, headers=me)
        assert response.status_code == 422 and field in problem_fields(response.json()), body


async def test_other_users_and_missing_templates_are_not_found(api: ApiHarness) -> None:
    me, stranger = await api.make_user(), await api.make_user()
    board = await make_board(api, me)
    template = (await api.client.post(f"/boards/{board.board_id}/templates", json=a_template(board), headers=me)).json()
    for method, url, body in [
        ("GET", f"/boards/{board.board_id}/templates", None),
        ("POST", f"/boards/{board.board_id}/templates", a_template(board)),
        ("GET", f"/templates/{template['id']}", None),
        ("PATCH", f"/templates/{template['id']}", {"isActive": False}),
        ("DELETE", f"/templates/{template['id']}", None),
    ]:
        response = await api.client.request(method, url, json=body, headers=stranger)
        assert response.status_code == 404, (method, url)
    assert (await api.client.get("/templates/missing", headers=me)).status_code == 404


async def test_anonymous_requests_are_refused(api: ApiHarness) -> None:
    assert (await api.client.get("/boards/any/templates")).status_code == 401
    assert (await api.client.patch("/templates/any", json={})).status_code == 401

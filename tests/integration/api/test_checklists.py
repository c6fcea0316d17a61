"""Checklists: ordered items inside a task, with progress; every change is a change of the task."""

from __future__ import annotations

import asyncio

from tests.integration.api.conftest import ApiHarness
from tests.integration.api.factories import make_board, make_task, outbox_events, problem_fields, task_row


async def test_add_list_toggle_edit_with_progress(api: ApiHarness) -> None:
    me = await api.make_user()
    board = await make_board(api, me)
    task_id = await make_task(api, board)

    empty = (await api.client.get(f"/tasks/{task_id}/checklist", headers=me)).json()
    assert empty == {"taskId": task_id, "items": [], "progress": {"done": 0, "total": 0, "percent": 0}}

    first = await api.client.post(f"/tasks/{task_id}/checklist", json={"title": " Buy boxes "}, headers=me)
    assert first.status_code == 201
    assert (first.json()["title"], first.json()["isDone"], first.json()["position"]) == ("Buy boxes", False, 0)
    await api.client.post(f"/tasks/{task_id}/checklist", json={"title": "Pack books"}, headers=me)
    front = await api.client.post(
        f"/tasks/{task_id}/checklist", json={"title": "Call movers", "position": 0}, headers=me
    )
    assert front.json()["position"] == 0

    toggled = await api.client.post(f"/checklist-items/{first.json()['id']}/toggle", headers=me)
    assert toggled.json()["isDone"] is True
    checklist = (await api.client.get(f"/tasks/{task_id}/checklist", headers=me)).json()
    assert [i["title"] for i in checklist["items"]] == ["Call movers", "Buy boxes", "Pack books"]
    assert [i["position"] for i in checklist["items"]] == [0, 1, 2]
    assert checklist["progress"] == {"done": 1, "total": 3, "percent": 33}

    edited = await api.client.patch(
        f"/checklist-items/{front.json()['id']}", json={"title": "Call two movers", "isDone": True}, headers=me
    )
    assert (edited.json()["title"], edited.json()["isDone"]) == ("Call two movers", True)
    untoggled = await api.client.post(f"/checklist-items/{first.json()['id']}/toggle", headers=me)
    assert untoggled.json()["isDone"] is False

    # Three additions, two toggles, one edit: six task changes, each announced.
    assert (await task_row(api, task_id)).version == 7
    assert [e for e, _ in await outbox_events(api, task_id)] == ["task.updated"] * 6


async def test_reorder_and_remove_keep_positions_dense(api: ApiHarness) -> None:
    me = await api.make_user()
    board = await make_board(api, me)
    task_id = await make_task(api, board)
    ids = [
        (await api.client.post(f"/tasks/{task_id}/checklist", json={"title": t}, headers=me)).json()["id"]
        for t in ("a", "b", "c")
    ]
    reordered = await api.client.post(
        f"/tasks/{task_id}/checklist/reorder", json={"itemIds": [ids[2], ids[0], ids[1]]}, headers=me
    )
    assert reordered.status_code == 200
    assert [i["title"] for i in reordered.json()["items"]] == ["c", "a", "b"]
    assert (await task_row(api, task_id)).version == 5

    for bad in ([ids[0], ids[1]], [ids[0], ids[0], ids[1], ids[2]], [*ids, "other"]):
        response = await api.client.post(f"/tasks/{task_id}/checklist/reorder", json={"itemIds": bad}, headers=me)
        assert response.status_code == 422 and "itemIds" in problem_fields(response.json()), bad

    assert (await api.client.delete(f"/checklist-items/{ids[0]}", headers=me)).status_code == 204
    checklist = (await api.client.get(f"/tasks/{task_id}/checklist", headers=me)).json()
    assert [(i["title"], i["position"]) for i in checklist["items"]] == [("c", 0), ("b", 1)]
    assert (await task_row(api, task_id)).version == 6
    assert (await api.client.delete(f"/checklist-items/{ids[0]}", headers=me)).status_code == 404


async def test_invalid_fields_are_named(api: ApiHarness) -> None:
    me = await api.make_user()
    board = await make_board(api, me)
    task_id = await make_task(api, board)
    for body, field in [({"title": "  "}, "title"), ({}, "title"), ({"title": "x", "position": -1}, "position")]:
        response = await api.client.post(f"/tasks/{task_id}/checklist", json=body, headers=me)
        assert response.status_code == 422 and field in problem_fields(response.json()), body
    item = (await api.client.post(f"/tasks/{task_id}/checklist", json={"title": "x"}, headers=me)).json()
    for body, field in [({"title": ""}, "title"), ({"isDone": None}, "isDone"), ({"done": True}, "done")]:
        response = await api.client.patch(f"/checklist-items/{item['id']}", json=body, headers=me)
        assert response.status_code == 422 and field in problem_fields(response.json()), body


async def test_other_users_and_missing_items_are_not_found(api: ApiHarness) -> None:
    me, stranger = await api.make_user(), await api.make_user()
    board = await make_board(api, me)
    task_id = await make_task(api, board)
    item = (await api.client.post(f"/tasks/{task_id}/checklist", json={"title": "x"}, headers=me)).json()
    for method, url, body in [
        ("GET", f"/tasks/{task_id}/checklist", None),
        ("POST", f"/tasks/{task_id}/checklist", {"title": "mine"}),
        ("POST", f"/tasks/{task_id}/checklist/reorder", {"itemIds": [item["id"]]}),
        ("PATCH", f"/checklist-items/{item['id']}", {"title": "mine"}),
        ("POST", f"/checklist-items/{item['id']}/toggle", None),
        ("DELETE", f"/checklist-items/{item['id']}", None),
    ]:
        response = await api.client.request(method, url, json=body, headers=stranger)
        assert response.status_code == 404, (method, url)
    assert (await api.client.post("/checklist-items/missing/toggle", headers=me)).status_code == 404
    assert (await task_row(api, task_id)).version == 2


async def test_anonymous_requests_are_refused(api: ApiHarness) -> None:
    assert (await api.client.get("/tasks/any/checklist")).status_code == 401
    assert (await api.client.post("/checklist-items/any/toggle")).status_code == 401


async def test_concurrent_toggles_are_applied_one_after_the_other(api: ApiHarness) -> None:
    me = await api.make_user()
    board = await make_board(api, me)
    task_id = await make_task(api, board)
    item = (await api.client.post(f"/tasks/{task_id}/checklist", json={"title": "x"}, headers=me)).json()
    responses = await asyncio.gather(
        *(api.client.post(f"/checklist-items/{item['id']}/toggle", headers=me) for _ in range(4))
    )
    assert sorted(r.json()["isDone"] for r in responses) == [False, False, True, True]
    assert (await api.client.get(f"/tasks/{task_id}/checklist", headers=me)).json()["items"][0]["isDone"] is False
    assert (await task_row(api, task_id)).version == 6

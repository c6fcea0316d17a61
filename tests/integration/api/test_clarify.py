"""Clarify: the oldest inbox item next, one decision at a time, applied atomically with WIP limits."""

from __future__ import annotations

from tests.integration.api.board_helpers import column_id, create_board, create_task
from tests.integration.api.conftest import ApiHarness
from tests.integration.api.factories import outbox_events, problem_fields


async def test_next_is_the_oldest_unclarified_inbox_task(api: ApiHarness) -> None:
    me = await api.make_user()
    board = await create_board(api, me)
    empty = await api.client.get(f"/boards/{board['id']}/clarify/next", headers=me)
    assert empty.json() == {"task": None, "remaining": 0}
    first = await create_task(api, me, board, title="first")
    await create_task(api, me, board, title="second")
    await create_task(api, me, board, title="elsewhere", columnId=column_id(board, "CONTEXT"))
    nxt = (await api.client.get(f"/boards/{board['id']}/clarify/next", headers=me)).json()
    assert (nxt["task"]["id"], nxt["remaining"]) == (first["id"], 2)


async def test_decisions_send_tasks_to_their_columns(api: ApiHarness) -> None:
    me = await api.make_user()
    board = await create_board(api, me)
    lane = await api.client.post(f"/boards/{board['id']}/columns", json={"name": "@Phone"}, headers=me)
    cases = [
        ({"decision": "someday"}, "SOMEDAY"),
        ({"decision": "archive"}, "ARCHIVE"),
        ({"decision": "done"}, "DONE"),
        ({"decision": "waiting", "waitingFor": "Bob"}, "WAITING"),
        ({"decision": "next", "priority": "HIGH", "durationMinutes": 10}, column_id(board, "CONTEXT")),
        ({"decision": "context", "context": "PHONE"}, lane.json()["id"]),
        ({"decision": "context", "context": "EMAIL"}, column_id(board, "CONTEXT")),
    ]
    for body, where in cases:
        task = await create_task(api, me, board)
        response = await api.client.post(f"/tasks/{task['id']}/clarify", json=body, headers=me)
        assert response.status_code == 200, (body, response.text)
        result = response.json()["task"]
        assert where in (result["columnId"], result["columnType"]), body
        assert result["clarifiedAt"] is not None
        assert result["version"] == 2
        assert result["isDone"] is (body["decision"] == "done")
        assert [e for e, _ in await outbox_events(api, task["id"])] == ["task.created", "task.updated"]
    nxt = await api.client.post(
        f"/tasks/{(await create_task(api, me, board))['id']}/clarify",
        json={"decision": "next", "priority": "HIGH", "durationMinutes": 10},
        headers=me,
    )
    assert (nxt.json()["task"]["priority"], nxt.json()["task"]["durationMinutes"]) == ("HIGH", 10)


async def test_trash_deletes_the_task(api: ApiHarness) -> None:
    me = await api.make_user()
    board = await create_board(api, me)
    task = await create_task(api, me, board)
    response = await api.client.post(f"/tasks/{task['id']}/clarify", json={"decision": "trash"}, headers=me)
    assert response.json() == {"decision": "trash", "task": None}
    assert (await api.client.get(f"/tasks/{task['id']}", headers=me)).status_code == 404
    assert (await outbox_events(api, task["id"]))[-1] == ("task.deleted", task["id"])


async def test_required_details_are_named(api: ApiHarness) -> None:
    me = await api.make_user()
    task = await create_task(api, me, await create_board(api, me))
    for body, field in [
        ({"decision": "waiting"}, "waitingFor"),
        ({"decision": "context"}, "context"),
        ({"decision": "later"}, "decision"),
    ]:
        response = await api.client.post(f"/tasks/{task['id']}/clarify", json=body, headers=me)
        assert (response.status_code, problem_fields(response.json())) == (422, {field})
    unchanged = (await api.client.get(f"/tasks/{task['id']}", headers=me)).json()
    assert (unchanged["version"], unchanged["clarifiedAt"]) == (1, None)


async def test_clarify_respects_wip_limits(api: ApiHarness) -> None:
    me = await api.make_user()
    board = await create_board(api, me)
    nxt = column_id(board, "CONTEXT")
    await api.client.patch(f"/columns/{nxt}", json={"wipLimit": 1}, headers=me)
    await create_task(api, me, board, columnId=nxt)
    task = await create_task(api, me, board, title="inbox")
    refused = await api.client.post(f"/tasks/{task['id']}/clarify", json={"decision": "next"}, headers=me)
    assert refused.status_code == 409
    still = (await api.client.get(f"/tasks/{task['id']}", headers=me)).json()
    assert (still["columnType"], still["clarifiedAt"]) == ("INPUT", None)
    forced = await api.client.post(
        f"/tasks/{task['id']}/clarify", json={"decision": "next", "wipOverride": True}, headers=me
    )
    assert (forced.status_code, forced.json()["task"]["wipOverride"]) == (200, True)


async def test_stats_count_the_inbox_and_decisions(api: ApiHarness) -> None:
    me = await api.make_user()
    board = await create_board(api, me)
    tasks = [await create_task(api, me, board) for _ in range(3)]
    for task, decision in zip(tasks[:2], ["someday", "trash"], strict=True):
        await api.client.post(f"/tasks/{task['id']}/clarify", json={"decision": decision}, headers=me)
    stats = (await api.client.get(f"/boards/{board['id']}/clarify/stats", headers=me)).json()
    assert stats == {
        "inboxCount": 1,
        "unclarifiedCount": 1,
        "clarifiedToday": 2,
        "clarifiedThisWeek": 2,
        "byDecision": {"someday": 1, "trash": 1},
    }

"""Columns: add, rename, retype, WIP limits (null or at least 1), reorder, delete only when empty."""

from __future__ import annotations

from tests.integration.api.board_helpers import column_id, create_board, create_task
from tests.integration.api.conftest import ApiHarness
from tests.integration.api.factories import outbox_events, problem_fields


async def test_add_a_context_lane_at_a_position(api: ApiHarness) -> None:
    me = await api.make_user()
    board = await create_board(api, me)
    created = await api.client.post(
        f"/boards/{board['id']}/columns", json={"name": "@Email", "type": "CONTEXT", "position": 2}, headers=me
    )
    assert created.status_code == 201
    assert (created.json()["laneContext"], created.json()["position"], created.json()["wipLimit"]) == ("EMAIL", 2, None)
    detail = (await api.client.get(f"/boards/{board['id']}", headers=me)).json()
    assert [c["name"] for c in detail["columns"]][:4] == ["Inbox", "Next actions", "@Email", "Waiting for"]
    assert [c["position"] for c in detail["columns"]] == list(range(7))


async def test_update_renames_and_limits_and_zero_is_422(api: ApiHarness) -> None:
    me = await api.make_user()
    board = await create_board(api, me)
    col = column_id(board, "CONTEXT")
    updated = await api.client.patch(f"/columns/{col}", json={"name": "Now", "wipLimit": 3}, headers=me)
    assert (updated.status_code, updated.json()["name"], updated.json()["wipLimit"]) == (200, "Now", 3)
    zero = await api.client.patch(f"/columns/{col}", json={"wipLimit": 0}, headers=me)
    assert (zero.status_code, problem_fields(zero.json())) == (422, {"wipLimit"})
    cleared = await api.client.patch(f"/columns/{col}", json={"wipLimit": None}, headers=me)
    assert cleared.json()["wipLimit"] is None
    bad_type = await api.client.patch(f"/columns/{col}", json={"type": "LATER"}, headers=me)
    assert (bad_type.status_code, problem_fields(bad_type.json())) == (422, {"type"})


async def test_a_limit_below_the_current_count_is_a_conflict(api: ApiHarness) -> None:
    me = await api.make_user()
    board = await create_board(api, me)
    col = column_id(board, "CONTEXT")
    for _ in range(2):
        await create_task(api, me, board, columnId=col)
    assert (await api.client.patch(f"/columns/{col}", json={"wipLimit": 1}, headers=me)).status_code == 409
    assert (await api.client.patch(f"/columns/{col}", json={"wipLimit": 2}, headers=me)).status_code == 200


async def test_reorder_needs_every_column_once(api: ApiHarness) -> None:
    me = await api.make_user()
    board = await create_board(api, me)
    ids = [c["id"] for c in board["columns"]]
    reordered = await api.client.post(
        f"/boards/{board['id']}/columns/reorder", json={"columnIds": list(reversed(ids))}, headers=me
    )
    assert reordered.status_code == 200
    assert [c["id"] for c in reordered.json()] == list(reversed(ids))
    detail = (await api.client.get(f"/boards/{board['id']}", headers=me)).json()
    assert [c["id"] for c in detail["columns"]] == list(reversed(ids))
    partial = await api.client.post(f"/boards/{board['id']}/columns/reorder", json={"columnIds": ids[:2]}, headers=me)
    assert (partial.status_code, problem_fields(partial.json())) == (422, {"columnIds"})


async def test_delete_only_empty_columns_and_never_the_last_inbox(api: ApiHarness) -> None:
    me = await api.make_user()
    board = await create_board(api, me)
    busy = column_id(board, "CONTEXT")
    await create_task(api, me, board, columnId=busy)
    assert (await api.client.delete(f"/columns/{busy}", headers=me)).status_code == 409
    inbox = column_id(board, "INPUT")
    last_inbox = await api.client.delete(f"/columns/{inbox}", headers=me)
    assert last_inbox.status_code == 409
    assert last_inbox.headers["content-type"].startswith("application/problem+json")
    retype = await api.client.patch(f"/columns/{inbox}", json={"type": "CONTEXT"}, headers=me)
    assert retype.status_code == 409
    assert (await api.client.delete(f"/columns/{column_id(board, 'WAITING')}", headers=me)).status_code == 204
    detail = (await api.client.get(f"/boards/{board['id']}", headers=me)).json()
    assert [c["position"] for c in detail["columns"]] == list(range(5))


async def test_columns_of_others_are_404(api: ApiHarness) -> None:
    me, other = await api.make_user(), await api.make_user()
    board = await create_board(api, me)
    col = column_id(board, "CONTEXT")
    assert (await api.client.patch(f"/columns/{col}", json={"name": "x"}, headers=other)).status_code == 404
    assert (await api.client.delete(f"/columns/{col}", headers=other)).status_code == 404
    created = await api.client.post(f"/boards/{board['id']}/columns", json={"name": "x"}, headers=other)
    assert created.status_code == 404


async def test_retyping_a_column_announces_each_task_in_it(api: ApiHarness) -> None:
    """The Worker's view of a task includes its column's type."""
    me = await api.make_user()
    board = await create_board(api, me)
    waiting = column_id(board, "WAITING")
    task = await create_task(api, me, board, columnId=waiting)
    retyped = await api.client.patch(f"/columns/{waiting}", json={"type": "CONTEXT"}, headers=me)
    assert retyped.status_code == 200
    got = (await api.client.get(f"/tasks/{task['id']}", headers=me)).json()
    assert (got["columnType"], got["version"]) == ("CONTEXT", 2)
    assert [e for e, _ in await outbox_events(api, task["id"])] == ["task.created", "task.updated"]
    into_done = await api.client.patch(f"/columns/{waiting}", json={"type": "DONE"}, headers=me)
    assert into_done.status_code == 409

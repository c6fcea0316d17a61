"""A create, a move and a reorder cost a fixed, small number of SQL statements (the board load has its own test).

The budgets count every statement the request sends on its engine; BEGIN and COMMIT are not
statements of their own on either backend (on SQLite the driver sends BEGIN with the first
statement). A regression that reads a row back or splits a write shows up here as a higher count.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.api.board_helpers import column_id, create_board, create_task
from tests.integration.api.conftest import ApiHarness
from tests.integration.api.statements import statements_of

# (statements on SQLite, on PostgreSQL). Both count the access token's session check (one read
# outside any transaction) and the commit's history, outbox and own-inbox rows, with a move's UPDATE
# (on PostgreSQL one statement with their NOTIFYs, on SQLite one statement each).
BUDGETS = {
    "create": (7, 5),  # lock the column (board, ownership, project checks), count + last rank, task
    "move": (8, 5),  # lock the column, lock the task, the column's room with tags + checklist, UPDATE
    "reorder": (9, 6),  # as a move, after a read of where the task is
}


def _budget(backend: str, path: str) -> int:
    sqlite, postgres = BUDGETS[path]
    return sqlite if backend == "sqlite" else postgres


async def _count(api: ApiHarness, method: str, url: str, me: dict[str, str], body: dict[str, Any]) -> tuple[int, Any]:
    uncacheable: list[str] = []
    seen, response = await statements_of(api, api.client.request(method, url, json=body, headers=me), uncacheable)
    assert response.status_code in (200, 201), response.text
    # Each statement compiles once per process; one that cannot be cached compiles at every request
    # (on PostgreSQL that was the outbox's multi-row INSERT, a quarter of a create's CPU).
    assert uncacheable == []
    return len(seen), response.json()


async def test_create_sends_a_fixed_number_of_statements(api: ApiHarness, backend: str) -> None:
    me = await api.make_user()
    board = await create_board(api, me)
    await create_task(api, me, board, title="already there")
    n, created = await _count(api, "POST", f"/boards/{board['id']}/tasks", me, {"title": "counted"})
    assert n <= _budget(backend, "create")
    assert (created["position"], created["version"], created["columnType"]) == (1, 1, "INPUT")
    into = column_id(board, "WAITING")
    n_with_column, created = await _count(api, "POST", f"/boards/{board['id']}/tasks", me,
                                          {"title": "counted", "columnId": into})  # fmt: skip
    assert n_with_column == n and created["columnId"] == into


@pytest.mark.parametrize("target", ["WAITING", "DONE"])
async def test_move_sends_a_fixed_number_of_statements(api: ApiHarness, backend: str, target: str) -> None:
    me = await api.make_user()
    board = await create_board(api, me)
    for n in range(5):
        await create_task(api, me, board, title=f"other {n}", columnId=column_id(board, target))
    task = await create_task(api, me, board, title="moved", tags=["home", "errand"])
    for title, done in (("call", True), ("buy", False)):
        added = await api.client.post(
            f"/tasks/{task['id']}/checklist", json={"title": title, "isDone": done}, headers=me
        )
        assert added.status_code == 201, added.text
    task = (await api.client.get(f"/tasks/{task['id']}", headers=me)).json()
    n, moved = await _count(api, "POST", f"/tasks/{task['id']}/move", me,
                            {"columnId": column_id(board, target), "position": 2})  # fmt: skip
    assert n <= _budget(backend, "move")
    assert (moved["position"], moved["version"], moved["isDone"]) == (2, task["version"] + 1, target == "DONE")
    assert [t["name"] for t in moved["tags"]] == ["errand", "home"]
    assert (moved["checklist"]["total"], moved["checklist"]["done"]) == (2, 1)
    fetched = (await api.client.get(f"/tasks/{task['id']}", headers=me)).json()
    assert fetched == moved  # the response built from the values written is the task as stored


async def test_reorder_sends_a_fixed_number_of_statements(api: ApiHarness, backend: str) -> None:
    me = await api.make_user()
    board = await create_board(api, me)
    ids = [(await create_task(api, me, board, title=f"t{n}"))["id"] for n in range(4)]
    n, reordered = await _count(api, "POST", f"/tasks/{ids[3]}/reorder", me, {"position": 0})
    assert n <= _budget(backend, "reorder")
    assert (reordered["position"], reordered["version"]) == (0, 2)
    assert reordered == (await api.client.get(f"/tasks/{ids[3]}", headers=me)).json()

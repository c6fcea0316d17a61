"""Searching a board's tasks: text, tag, context, project, column type, due dates, done, sorting, paging."""

from __future__ import annotations

from typing import Any

from tests.integration.api.board_helpers import column_id, create_board, create_task
from tests.integration.api.conftest import ApiHarness
from tests.integration.api.factories import problem_fields


async def search(api: ApiHarness, me: dict[str, str], board: dict[str, Any], **params: Any) -> dict[str, Any]:
    response = await api.client.get(f"/boards/{board['id']}/tasks", params=params, headers=me)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def titles(page: dict[str, Any]) -> list[str]:
    return [t["title"] for t in page["items"]]


async def test_filters(api: ApiHarness) -> None:
    me = await api.make_user()
    board = await create_board(api, me)
    await create_task(api, me, board, title="Email Alice", context="EMAIL", tags=["Work"], dueAt="2030-01-01T00:00:00Z")
    await create_task(api, me, board, title="Call Bob", context="PHONE", description="about the invoice")
    await create_task(
        api, me, board, title="Done thing", columnId=column_id(board, "DONE"), dueAt="2030-06-01T00:00:00Z"
    )
    assert titles(await search(api, me, board, q="INVOICE")) == ["Call Bob"]
    assert titles(await search(api, me, board, tag="work")) == ["Email Alice"]
    assert titles(await search(api, me, board, context="PHONE")) == ["Call Bob"]
    assert titles(await search(api, me, board, columnType="DONE")) == ["Done thing"]
    assert titles(await search(api, me, board, done="true")) == ["Done thing"]
    assert titles(await search(api, me, board, dueBefore="2030-03-01T00:00:00Z")) == ["Email Alice"]
    assert titles(await search(api, me, board, dueAfter="2030-03-01T00:00:00Z")) == ["Done thing"]
    assert (await search(api, me, board, projectId="none"))["total"] == 0


async def test_sorting_and_paging(api: ApiHarness) -> None:
    me = await api.make_user()
    board = await create_board(api, me)
    for title, priority in [("low", "LOW"), ("high", "HIGH"), ("medium", "MEDIUM")]:
        await create_task(api, me, board, title=title, priority=priority)
    assert titles(await search(api, me, board)) == ["low", "high", "medium"]
    assert titles(await search(api, me, board, sort="priority", order="desc")) == ["high", "medium", "low"]
    assert titles(await search(api, me, board, sort="createdAt", order="desc")) == ["medium", "high", "low"]
    page = await search(api, me, board, sort="priority", order="asc", limit=1, offset=1)
    assert (titles(page), page["total"], page["limit"], page["offset"]) == (["medium"], 3, 1, 1)


async def test_invalid_parameters_are_named(api: ApiHarness) -> None:
    me, other = await api.make_user(), await api.make_user()
    board = await create_board(api, me)
    for params, field in [
        ({"sort": "title"}, "sort"),
        ({"order": "up"}, "order"),
        ({"context": "GARDEN"}, "context"),
        ({"columnType": "LATER"}, "columnType"),
        ({"limit": 0}, "limit"),
        ({"done": "perhaps"}, "done"),
    ]:
        response = await api.client.get(f"/boards/{board['id']}/tasks", params=params, headers=me)
        assert (response.status_code, problem_fields(response.json())) == (422, {field}), params
    assert (await api.client.get(f"/boards/{board['id']}/tasks", headers=other)).status_code == 404


async def test_text_search_treats_wildcards_literally(api: ApiHarness) -> None:
    me = await api.make_user()
    board = await create_board(api, me)
    await create_task(api, me, board, title="100% done")
    await create_task(api, me, board, title="100 things")
    assert titles(await search(api, me, board, q="0%")) == ["100% done"]

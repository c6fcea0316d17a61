"""Findings 2 and 5 against the running app: every client-controlled size and number is bounded.

A refusal is a 413 or a 422 problem naming the field (and the limit), never a 500, and writes nothing.
"""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import insert

from kanban.api import limits
from kanban.api.tables import checklist_items, messaging, tags, tasks
from kanban.db.types import new_id, utcnow
from tests.integration.api.board_helpers import column_id, count_rows, create_board, create_task
from tests.integration.api.conftest import ApiHarness

HUGE = [9223372036854775808, 10**30]


def assert_refused(response: httpx.Response, status: int, field: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    named = {e["field"] for e in problem.get("errors", [])} | {problem.get("field")}
    assert field in named, problem


async def test_huge_offsets_are_a_422_on_every_list(api: ApiHarness) -> None:
    me = await api.make_user()
    board = await create_board(api, me)
    task = await create_task(api, me, board)
    for url in (
        f"/boards/{board['id']}/tasks",
        f"/boards/{board['id']}/events",
        f"/tasks/{task['id']}/events",
        f"/boards/{board['id']}/projects",
    ):
        for offset in HUGE:
            assert_refused(await api.client.get(url, params={"offset": offset}, headers=me), 422, "offset")
    assert (await api.client.get(f"/boards/{board['id']}/tasks", headers=me)).status_code == 200


async def test_huge_numbers_in_bodies_are_a_422_and_the_connection_stays_usable(api: ApiHarness) -> None:
    me = await api.make_user()
    board = await create_board(api, me)
    task = await create_task(api, me, board)
    inbox = await create_task(api, me, board, title="to clarify", columnId=column_id(board, "INPUT"))
    column = column_id(board, "CONTEXT")
    for number in HUGE:
        cases: list[tuple[str, str, dict[str, Any], str]] = [
            ("POST", f"/boards/{board['id']}/columns", {"name": "C", "wipLimit": number}, "wipLimit"),
            ("POST", f"/boards/{board['id']}/columns", {"name": "C", "position": number}, "position"),
            ("PATCH", f"/columns/{column}", {"wipLimit": number}, "wipLimit"),
            ("POST", f"/boards/{board['id']}/tasks", {"title": "T", "durationMinutes": number}, "durationMinutes"),
            ("PATCH", f"/tasks/{task['id']}", {"durationMinutes": number}, "durationMinutes"),
            ("PATCH", f"/tasks/{task['id']}", {"position": number}, "position"),
            ("POST", f"/tasks/{task['id']}/reorder", {"position": number}, "position"),
            (
                "POST",
                f"/tasks/{inbox['id']}/clarify",
                {"decision": "next", "durationMinutes": number},
                "durationMinutes",
            ),
            ("POST", f"/tasks/{task['id']}/checklist", {"title": "i", "position": number}, "position"),
        ]
        for method, url, body, field in cases:
            assert_refused(await api.client.request(method, url, json=body, headers=me), 422, field)
    assert await count_rows(api, tasks, board_id=board["id"]) == 2


async def test_the_hundred_thousand_tag_create_is_refused_and_writes_nothing(api: ApiHarness) -> None:
    me = await api.make_user()
    board = await create_board(api, me)
    outbox_before = await count_rows(api, messaging.outbox)
    url = f"/boards/{board['id']}/tasks"

    flood = await api.client.post(url, json={"title": "T", "tags": [f"t{i}" for i in range(100_000)]}, headers=me)
    just_over = await api.client.post(
        url, json={"title": "T", "tags": [f"t{i}" for i in range(limits.MAX_TAGS_PER_TASK + 1)]}, headers=me
    )

    assert flood.status_code in (413, 422), flood.text
    assert_refused(just_over, 422, "tags")
    assert await count_rows(api, tasks, board_id=board["id"]) == 0
    assert await count_rows(api, tags, board_id=board["id"]) == 0
    assert await count_rows(api, messaging.outbox) == outbox_before
    at_limit = await api.client.post(
        url, json={"title": "T", "tags": [f"t{i}" for i in range(limits.MAX_TAGS_PER_TASK)]}, headers=me
    )
    assert at_limit.status_code == 201, at_limit.text


async def test_metadata_is_capped_in_size_and_depth(api: ApiHarness) -> None:
    me = await api.make_user()
    board = await create_board(api, me)
    url = f"/boards/{board['id']}/tasks"
    big = {"blob": "x" * (limits.MAX_METADATA_BYTES + 1)}
    deep: dict[str, Any] = {}
    cursor = deep
    for _ in range(limits.MAX_METADATA_DEPTH + 1):
        cursor["a"] = {}
        cursor = cursor["a"]

    five_mb = await api.client.post(url, json={"title": "T", "metadata": {"blob": "x" * 5_000_000}}, headers=me)
    too_big = await api.client.post(url, json={"title": "T", "metadata": big}, headers=me)
    too_deep = await api.client.post(url, json={"title": "T", "metadata": deep}, headers=me)

    assert five_mb.status_code == 413
    assert_refused(too_big, 422, "metadata")
    assert "maxMetadataBytes" in too_big.text
    assert_refused(too_deep, 422, "metadata")
    assert "maxMetadataDepth" in too_deep.text
    assert (await api.client.post(url, json={"title": "T", "metadata": {"ok": [1, 2]}}, headers=me)).status_code == 201


async def test_id_lists_and_long_ids_are_capped(api: ApiHarness) -> None:
    me = await api.make_user()
    board = await create_board(api, me)
    task = await create_task(api, me, board)
    ids = [new_id() for _ in range(limits.MAX_IDS_PER_REQUEST + 1)]
    assert_refused(
        await api.client.post(f"/boards/{board['id']}/columns/reorder", json={"columnIds": ids}, headers=me),
        422,
        "columnIds",
    )
    assert_refused(
        await api.client.post(f"/tasks/{task['id']}/checklist/reorder", json={"itemIds": ids}, headers=me),
        422,
        "itemIds",
    )
    assert_refused(
        await api.client.post(f"/boards/{board['id']}/tasks", json={"title": "T", "projectId": "p" * 100}, headers=me),
        422,
        "projectId",
    )


async def test_a_board_s_tags_and_a_task_s_checklist_are_capped(api: ApiHarness) -> None:
    me = await api.make_user()
    board = await create_board(api, me)
    task = await create_task(api, me, board)
    now = utcnow()
    async with api.app.state.services.engine.begin() as conn:  # type: ignore[attr-defined]
        await conn.execute(
            insert(tags),
            [
                {
                    "id": new_id(), "board_id": board["id"], "name": f"tag{i}", "name_key": f"tag{i}",
                    "color": "#94a3b8", "version": 1, "created_at": now, "updated_at": now,
                }
                for i in range(limits.MAX_TAGS_PER_BOARD)
            ],
        )  # fmt: skip
        await conn.execute(
            insert(checklist_items),
            [
                {
                    "id": new_id(), "task_id": task["id"], "title": f"step {i}", "is_done": False, "position": i,
                    "created_at": now, "updated_at": now,
                }
                for i in range(limits.MAX_CHECKLIST_ITEMS_PER_TASK)
            ],
        )  # fmt: skip

    new_tag = await api.client.post(f"/boards/{board['id']}/tags", json={"name": "one more"}, headers=me)
    tagged_task = await api.client.post(
        f"/boards/{board['id']}/tasks", json={"title": "T", "tags": ["new"]}, headers=me
    )
    existing_tag = await api.client.post(
        f"/boards/{board['id']}/tasks", json={"title": "T", "tags": ["tag1"]}, headers=me
    )
    one_more_item = await api.client.post(f"/tasks/{task['id']}/checklist", json={"title": "again"}, headers=me)

    assert_refused(tagged_task, 422, "tags")
    assert new_tag.status_code == 422 and "maxTagsPerBoard" in new_tag.text
    assert existing_tag.status_code == 201, "attaching a tag the board already has still works"
    assert one_more_item.status_code == 422 and "maxChecklistItemsPerTask" in one_more_item.text


async def test_the_openapi_document_states_the_limits(api: ApiHarness) -> None:
    spec = (await api.client.get("/openapi.json")).json()
    schemas = spec["components"]["schemas"]
    text = str(spec)
    assert str(limits.MAX_OFFSET) in text and str(limits.MAX_WIP_LIMIT) in text
    tags_schema = schemas["CreateTaskRequest"]["properties"]["tags"]
    assert str(limits.MAX_TAGS_PER_TASK) in str(tags_schema)
    assert "413" in spec["paths"]["/api/v1/boards/{boardId}/tasks"]["post"]["responses"]

"""Tags: unique per board whatever their case, coloured, attached to tasks, announced by events."""

from __future__ import annotations

import asyncio

from tests.integration.api.conftest import ApiHarness
from tests.integration.api.factories import (
    make_board,
    make_task,
    outbox_events,
    outbox_versions,
    problem_fields,
    task_row,
)


async def test_create_list_and_events(api: ApiHarness) -> None:
    me = await api.make_user()
    board = await make_board(api, me)
    created = await api.client.post(
        f"/boards/{board.board_id}/tags", json={"name": " Work ", "color": "#AABBCC"}, headers=me
    )
    assert created.status_code == 201
    tag = created.json()
    assert (tag["name"], tag["color"], tag["version"], tag["boardId"]) == ("Work", "#aabbcc", 1, board.board_id)
    default = await api.client.post(f"/boards/{board.board_id}/tags", json={"name": "home"}, headers=me)
    assert default.json()["color"] == "#94a3b8"

    listed = await api.client.get(f"/boards/{board.board_id}/tags", headers=me)
    assert [t["name"] for t in listed.json()] == ["home", "Work"]
    assert await outbox_events(api, tag["id"]) == [("tag.created", tag["id"])]


async def test_names_are_unique_per_board_whatever_the_case(api: ApiHarness) -> None:
    me = await api.make_user()
    board, other_board = await make_board(api, me), await make_board(api, me)
    await api.client.post(f"/boards/{board.board_id}/tags", json={"name": "Work"}, headers=me)
    clash = await api.client.post(f"/boards/{board.board_id}/tags", json={"name": "work"}, headers=me)
    assert clash.status_code == 409
    assert clash.headers["content-type"].startswith("application/problem+json")
    elsewhere = await api.client.post(f"/boards/{other_board.board_id}/tags", json={"name": "work"}, headers=me)
    assert elsewhere.status_code == 201


async def test_invalid_fields_are_named(api: ApiHarness) -> None:
    me = await api.make_user()
    board = await make_board(api, me)
    for body, field in [
        ({"name": "x", "color": "red"}, "color"),
        ({"name": "x", "color": "#12345"}, "color"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "x", "colour": "#000000"}, "colour"),
    ]:
        response = await api.client.post(f"/boards/{board.board_id}/tags", json=body, headers=me)
        assert response.status_code == 422, body
        assert field in problem_fields(response.json()), body


async def test_rename_recolour_keeps_uniqueness_and_bumps_version(api: ApiHarness) -> None:
    me = await api.make_user()
    board = await make_board(api, me)
    work = (await api.client.post(f"/boards/{board.board_id}/tags", json={"name": "Work"}, headers=me)).json()
    await api.client.post(f"/boards/{board.board_id}/tags", json={"name": "Home"}, headers=me)

    clash = await api.client.patch(f"/tags/{work['id']}", json={"name": "HOME"}, headers=me)
    assert clash.status_code == 409
    recased = await api.client.patch(f"/tags/{work['id']}", json={"name": "WORK"}, headers=me)
    assert recased.status_code == 200
    assert (recased.json()["name"], recased.json()["version"]) == ("WORK", 2)
    recoloured = await api.client.patch(f"/tags/{work['id']}", json={"color": "#000000"}, headers=me)
    assert (recoloured.json()["color"], recoloured.json()["version"]) == ("#000000", 3)
    bad = await api.client.patch(f"/tags/{work['id']}", json={"color": "black"}, headers=me)
    assert bad.status_code == 422 and "color" in problem_fields(bad.json())
    assert await outbox_events(api, work["id"]) == [("tag.created", work["id"])] + [("tag.updated", work["id"])] * 2


async def test_attach_finds_or_creates_and_detach(api: ApiHarness) -> None:
    me = await api.make_user()
    board = await make_board(api, me)
    task_id = await make_task(api, board)
    existing = (await api.client.post(f"/boards/{board.board_id}/tags", json={"name": "Work"}, headers=me)).json()

    attached = await api.client.post(f"/tasks/{task_id}/tags", json={"name": "work"}, headers=me)
    assert attached.status_code == 200 and attached.json()["id"] == existing["id"]
    again = await api.client.post(f"/tasks/{task_id}/tags", json={"name": "WORK"}, headers=me)
    assert again.json()["id"] == existing["id"]
    fresh = (await api.client.post(f"/tasks/{task_id}/tags", json={"name": "errand"}, headers=me)).json()
    assert fresh["name"] == "errand"
    assert await outbox_events(api, fresh["id"]) == [("tag.created", fresh["id"])]  # the Worker learns of it too

    on_task = await api.client.get(f"/tasks/{task_id}/tags", headers=me)
    assert [t["name"] for t in on_task.json()] == ["errand", "Work"]
    assert (await task_row(api, task_id)).version == 3  # two attachments; attaching twice changed nothing
    assert [e for e, _ in await outbox_events(api, task_id)] == ["task.updated", "task.updated"]

    detached = await api.client.delete(f"/tasks/{task_id}/tags/{existing['id']}", headers=me)
    assert detached.status_code == 204
    assert [t["name"] for t in (await api.client.get(f"/tasks/{task_id}/tags", headers=me)).json()] == ["errand"]
    assert (await task_row(api, task_id)).version == 4
    not_on_task = await api.client.delete(f"/tasks/{task_id}/tags/{existing['id']}", headers=me)
    assert not_on_task.status_code == 404


async def test_deleting_a_tag_removes_it_from_tasks(api: ApiHarness) -> None:
    me = await api.make_user()
    board = await make_board(api, me)
    first, second = await make_task(api, board, "one"), await make_task(api, board, "two")
    tag = (await api.client.post(f"/tasks/{first}/tags", json={"name": "Work"}, headers=me)).json()
    await api.client.post(f"/tasks/{second}/tags", json={"name": "Work"}, headers=me)

    deleted = await api.client.delete(f"/tags/{tag['id']}", headers=me)
    assert deleted.status_code == 204
    assert (await api.client.get(f"/boards/{board.board_id}/tags", headers=me)).json() == []
    assert (await api.client.get(f"/tasks/{first}/tags", headers=me)).json() == []
    for task_id in (first, second):
        assert (await task_row(api, task_id)).version == 3
        assert [e for e, _ in await outbox_events(api, task_id)] == ["task.updated", "task.updated"]
    assert [e for e, _ in await outbox_events(api, tag["id"])] == ["tag.created", "tag.deleted"]
    assert (await api.client.delete(f"/tags/{tag['id']}", headers=me)).status_code == 404


async def test_other_users_and_missing_tags_are_not_found(api: ApiHarness) -> None:
    me, stranger = await api.make_user(), await api.make_user()
    board = await make_board(api, me)
    task_id = await make_task(api, board)
    tag = (await api.client.post(f"/boards/{board.board_id}/tags", json={"name": "Work"}, headers=me)).json()

    for method, url, body in [
        ("GET", f"/boards/{board.board_id}/tags", None),
        ("POST", f"/boards/{board.board_id}/tags", {"name": "mine"}),
        ("PATCH", f"/tags/{tag['id']}", {"name": "mine"}),
        ("DELETE", f"/tags/{tag['id']}", None),
        ("GET", f"/tasks/{task_id}/tags", None),
        ("POST", f"/tasks/{task_id}/tags", {"name": "mine"}),
        ("DELETE", f"/tasks/{task_id}/tags/{tag['id']}", None),
    ]:
        response = await api.client.request(method, url, json=body, headers=stranger)
        assert response.status_code == 404, (method, url)
    missing = await api.client.patch("/tags/00000000-0000-0000-0000-000000000000", json={"name": "x"}, headers=me)
    assert missing.status_code == 404
    assert (await api.client.get("/boards/nope/tags", headers=me)).status_code == 404


async def test_anonymous_requests_are_refused(api: ApiHarness) -> None:
    assert (await api.client.get("/boards/any/tags")).status_code == 401
    assert (await api.client.post("/tasks/any/tags", json={"name": "x"})).status_code == 401
    assert (await api.client.delete("/tags/any")).status_code == 401


async def test_renaming_a_tag_updates_the_tasks_that_carry_it(api: ApiHarness) -> None:
    me = await api.make_user()
    board = await make_board(api, me)
    task_id = await make_task(api, board)
    tag = (await api.client.post(f"/tasks/{task_id}/tags", json={"name": "work"}, headers=me)).json()

    await api.client.patch(f"/tags/{tag['id']}", json={"color": "#123456"}, headers=me)
    assert (await task_row(api, task_id)).version == 2  # a colour is not part of the task
    await api.client.patch(f"/tags/{tag['id']}", json={"name": "Office"}, headers=me)
    assert (await task_row(api, task_id)).version == 3
    assert [e for e, _ in await outbox_events(api, task_id)] == ["task.updated", "task.updated"]


async def test_concurrent_edits_bump_the_version_once_each(api: ApiHarness) -> None:
    me = await api.make_user()
    board = await make_board(api, me)
    task_id = await make_task(api, board)
    tag = (await api.client.post(f"/tasks/{task_id}/tags", json={"name": "work"}, headers=me)).json()
    colours = [f"#00000{i}" for i in range(5)]
    responses = await asyncio.gather(
        *(api.client.patch(f"/tags/{tag['id']}", json={"color": c}, headers=me) for c in colours),
        api.client.post(f"/tasks/{task_id}/tags", json={"name": "home"}, headers=me),
    )
    assert [r.status_code for r in responses] == [200] * 6
    assert sorted(r.json()["version"] for r in responses[:5]) == [2, 3, 4, 5, 6]
    versions = await outbox_versions(api, tag["id"])
    assert versions == [1, 2, 3, 4, 5, 6]

"""Boards: seeded GTD columns, the lazy default board, settings, and deleting everything under a board at once."""

from __future__ import annotations

from kanban.api.tables import boards, checklist_items, columns, task_tags, tasks
from kanban.db.types import new_id, utcnow
from tests.integration.api.board_helpers import count_rows, create_board
from tests.integration.api.conftest import ApiHarness
from tests.integration.api.factories import outbox_events, problem_fields

SEEDED = [
    ("Inbox", "INPUT"),
    ("Next actions", "CONTEXT"),
    ("Waiting for", "WAITING"),
    ("Someday/Maybe", "SOMEDAY"),
    ("Done", "DONE"),
    ("Archive", "ARCHIVE"),
]


async def test_create_seeds_the_gtd_columns_and_announces_the_board(api: ApiHarness) -> None:
    me = await api.make_user()
    created = await api.client.post("/boards", json={"name": " Home ", "description": "mine"}, headers=me)
    assert created.status_code == 201
    body = created.json()
    assert (body["name"], body["description"], body["version"]) == ("Home", "mine", 1)
    assert body["settings"] == {
        "staleAfterDays": 7, "autoApplyHints": False, "autoApplyThreshold": 0.9, "staleBasis": "days",
    }  # fmt: skip
    detail = (await api.client.get(f"/boards/{body['id']}", headers=me)).json()
    assert [(c["name"], c["type"]) for c in detail["columns"]] == SEEDED
    assert [c["position"] for c in detail["columns"]] == list(range(6))
    assert await outbox_events(api, body["id"]) == [("board.created", body["id"])]


async def test_list_shows_only_my_boards_and_others_are_404(api: ApiHarness) -> None:
    me, other = await api.make_user(), await api.make_user()
    mine = await create_board(api, me, "Mine")
    await create_board(api, other, "Theirs")
    listed = await api.client.get("/boards", headers=me)
    assert [b["name"] for b in listed.json()] == ["Mine"]
    for method, url in [("GET", ""), ("PATCH", ""), ("DELETE", ""), ("GET", "/stale"), ("GET", "/events")]:
        response = await api.client.request(
            method, f"/boards/{mine['id']}{url}", headers=other, json={"name": "x"} if method == "PATCH" else None
        )
        assert response.status_code == 404, (method, url)
        assert response.headers["content-type"].startswith("application/problem+json")
    assert (await api.client.get("/boards")).status_code == 401


async def test_default_board_is_created_once_lazily(api: ApiHarness) -> None:
    me = await api.make_user()
    first = await api.client.get("/boards/default", headers=me)
    assert first.status_code == 200
    again = await api.client.get("/boards/default", headers=me)
    assert first.json()["id"] == again.json()["id"]
    assert again.json()["isDefault"] is True
    assert [(c["name"], c["type"]) for c in again.json()["columns"]] == SEEDED
    assert len((await api.client.get("/boards", headers=me)).json()) == 1


async def test_rename_and_settings_bump_the_version_and_announce_it(api: ApiHarness) -> None:
    me = await api.make_user()
    board = await create_board(api, me)
    renamed = await api.client.patch(f"/boards/{board['id']}", json={"name": "Work"}, headers=me)
    assert (renamed.status_code, renamed.json()["name"], renamed.json()["version"]) == (200, "Work", 2)
    settings = await api.client.put(
        f"/boards/{board['id']}/settings",
        json={"staleAfterDays": 3, "autoApplyHints": True, "autoApplyThreshold": 0.75},
        headers=me,
    )
    assert settings.status_code == 200
    assert settings.json()["settings"] == {
        "staleAfterDays": 3, "autoApplyHints": True, "autoApplyThreshold": 0.75, "staleBasis": "days",
    }  # fmt: skip
    assert settings.json()["version"] == 3
    assert await outbox_events(api, board["id"]) == [
        ("board.created", board["id"]),
        ("board.updated", board["id"]),
        ("board.updated", board["id"]),
    ]
    unchanged = await api.client.patch(f"/boards/{board['id']}/settings", json={"staleAfterDays": 3}, headers=me)
    assert unchanged.json()["version"] == 3


async def test_invalid_settings_are_named(api: ApiHarness) -> None:
    me = await api.make_user()
    board = await create_board(api, me)
    for body, field in [
        ({"staleAfterDays": 0}, "staleAfterDays"),
        ({"autoApplyThreshold": 1.5}, "autoApplyThreshold"),
        ({"autoApplyHints": "maybe"}, "autoApplyHints"),
        ({"bogus": 1}, "bogus"),
    ]:
        response = await api.client.put(f"/boards/{board['id']}/settings", json=body, headers=me)
        assert response.status_code == 422
        assert field in problem_fields(response.json())
    blank = await api.client.post("/boards", json={"name": "  "}, headers=me)
    assert (blank.status_code, problem_fields(blank.json())) == (422, {"name"})


async def test_delete_removes_everything_including_tasks_with_checklists(api: ApiHarness) -> None:
    """The original failed to delete a board whose tasks had checklist items."""
    me = await api.make_user()
    board = await create_board(api, me)
    task_ids = []
    for title in ("a", "b"):
        created = await api.client.post(
            f"/boards/{board['id']}/tasks", json={"title": title, "tags": ["x"]}, headers=me
        )
        task_ids.append(created.json()["id"])
    now = utcnow()
    async with api.app.state.services.engine.begin() as conn:  # type: ignore[attr-defined]
        await conn.execute(
            checklist_items.insert().values(
                id=new_id(), task_id=task_ids[0], title="step", position=0, created_at=now, updated_at=now
            )
        )
    deleted = await api.client.delete(f"/boards/{board['id']}", headers=me)
    assert deleted.status_code == 204
    assert (await api.client.get(f"/boards/{board['id']}", headers=me)).status_code == 404
    assert (await api.client.get(f"/tasks/{task_ids[0]}", headers=me)).status_code == 404
    assert await count_rows(api, boards, id=board["id"]) == 0
    assert await count_rows(api, columns, board_id=board["id"]) == 0
    assert await count_rows(api, tasks, board_id=board["id"]) == 0
    assert await count_rows(api, checklist_items, task_id=task_ids[0]) == 0
    assert await count_rows(api, task_tags, task_id=task_ids[1]) == 0
    for task_id in task_ids:
        assert (await outbox_events(api, task_id))[-1] == ("task.deleted", task_id)
    assert (await outbox_events(api, board["id"]))[-1] == ("board.deleted", board["id"])

"""Projects: GTD outcomes with a status and task counts; deleting one leaves its tasks without a project."""

from __future__ import annotations

from tests.integration.api.conftest import ApiHarness
from tests.integration.api.factories import make_board, make_task, outbox_events, problem_fields, task_row


async def test_create_get_list_with_task_counts(api: ApiHarness) -> None:
    me = await api.make_user()
    board = await make_board(api, me)
    created = await api.client.post(
        f"/boards/{board.board_id}/projects",
        json={"name": "Move house", "desiredOutcome": "Living in the new flat", "description": "boxes"},
        headers=me,
    )
    assert created.status_code == 201
    project = created.json()
    assert project["status"] == "active" and project["version"] == 1
    assert project["desiredOutcome"] == "Living in the new flat"
    assert project["taskCounts"] == {"open": 0, "done": 0}

    await make_task(api, board, "pack", project_id=project["id"])
    await make_task(api, board, "book van", project_id=project["id"])
    await make_task(api, board, "measure", project_id=project["id"], column_type="DONE")
    await make_task(api, board, "unrelated")
    fetched = await api.client.get(f"/projects/{project['id']}", headers=me)
    assert fetched.json()["taskCounts"] == {"open": 2, "done": 1}

    await api.client.post(f"/boards/{board.board_id}/projects", json={"name": "Later", "status": "on_hold"}, headers=me)
    page = (await api.client.get(f"/boards/{board.board_id}/projects", headers=me)).json()
    assert page["total"] == 2 and [p["name"] for p in page["items"]] == ["Move house", "Later"]
    on_hold = (await api.client.get(f"/boards/{board.board_id}/projects?status=on_hold", headers=me)).json()
    assert [p["name"] for p in on_hold["items"]] == ["Later"]
    assert await outbox_events(api, project["id"]) == [("project.created", project["id"])]


async def test_update_bumps_version_and_records_the_event(api: ApiHarness) -> None:
    me = await api.make_user()
    board = await make_board(api, me)
    project = (
        await api.client.post(f"/boards/{board.board_id}/projects", json={"name": "P", "description": "d"}, headers=me)
    ).json()

    updated = await api.client.patch(
        f"/projects/{project['id']}", json={"status": "completed", "description": None}, headers=me
    )
    assert updated.status_code == 200
    body = updated.json()
    assert (body["status"], body["description"], body["version"]) == ("completed", None, 2)
    unchanged = await api.client.patch(f"/projects/{project['id']}", json={"status": "completed"}, headers=me)
    assert unchanged.json()["version"] == 2
    assert [e for e, _ in await outbox_events(api, project["id"])] == ["project.created", "project.updated"]


async def test_invalid_fields_are_named(api: ApiHarness) -> None:
    me = await api.make_user()
    board = await make_board(api, me)
    url = f"/boards/{board.board_id}/projects"
    for body, field in [({"name": "P", "status": "paused"}, "status"), ({"name": ""}, "name"), ({}, "name")]:
        response = await api.client.post(url, json=body, headers=me)
        assert response.status_code == 422 and field in problem_fields(response.json()), body
    project = (await api.client.post(url, json={"name": "P"}, headers=me)).json()
    for body, field in [({"status": "paused"}, "status"), ({"name": None}, "name"), ({"owner": "x"}, "owner")]:
        response = await api.client.patch(f"/projects/{project['id']}", json=body, headers=me)
        assert response.status_code == 422 and field in problem_fields(response.json()), body
    bad_filter = await api.client.get(f"{url}?status=paused", headers=me)
    assert bad_filter.status_code == 422 and "status" in problem_fields(bad_filter.json())


async def test_delete_leaves_tasks_without_a_project(api: ApiHarness) -> None:
    me = await api.make_user()
    board = await make_board(api, me)
    project = (await api.client.post(f"/boards/{board.board_id}/projects", json={"name": "P"}, headers=me)).json()
    task_id = await make_task(api, board, project_id=project["id"])

    assert (await api.client.delete(f"/projects/{project['id']}", headers=me)).status_code == 204
    assert (await api.client.get(f"/projects/{project['id']}", headers=me)).status_code == 404
    task = await task_row(api, task_id)
    assert (task.project_id, task.version) == (None, 2)
    assert await outbox_events(api, task_id) == [("task.updated", task_id)]
    assert [e for e, _ in await outbox_events(api, project["id"])] == ["project.created", "project.deleted"]


async def test_other_users_and_missing_projects_are_not_found(api: ApiHarness) -> None:
    me, stranger = await api.make_user(), await api.make_user()
    board = await make_board(api, me)
    project = (await api.client.post(f"/boards/{board.board_id}/projects", json={"name": "P"}, headers=me)).json()
    for method, url, body in [
        ("GET", f"/boards/{board.board_id}/projects", None),
        ("POST", f"/boards/{board.board_id}/projects", {"name": "mine"}),
        ("GET", f"/projects/{project['id']}", None),
        ("PATCH", f"/projects/{project['id']}", {"name": "mine"}),
        ("DELETE", f"/projects/{project['id']}", None),
    ]:
        response = await api.client.request(method, url, json=body, headers=stranger)
        assert response.status_code == 404, (method, url)
    assert (await api.client.get("/projects/missing", headers=me)).status_code == 404
    assert (await api.client.get(f"/projects/{project['id']}", headers=me)).json()["name"] == "P"


async def test_anonymous_requests_are_refused(api: ApiHarness) -> None:
    assert (await api.client.get("/boards/any/projects")).status_code == 401
    assert (await api.client.get("/projects/any")).status_code == 401
    assert (await api.client.delete("/projects/any")).status_code == 401

"""Every route of the API, taken from its OpenAPI document: anonymous gets 401, another user gets 404
for the owner's resources, and neither changes anything. (Each route's own tests cover the owner.)"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select

from kanban.api import tables as t
from tests.integration.api.board_helpers import create_board, create_task
from tests.integration.api.conftest import ApiHarness
from tests.integration.api.test_hints import propose
from tests.support.pipelines import draft

# /auth/session: signing in and out need no sign-in (reading it is a 401 without one: test_hardening_sessions).
PUBLIC = {"/auth/register", "/auth/login", "/auth/refresh", "/auth/session", "/health/live", "/health/ready"}
SELF_ONLY = {"/users/me", "/users/me/password", "/auth/logout"}  # about the caller, no resource id
RULE = {
    "name": "R",
    "trigger": {"type": "task.created"},
    "actions": [{"type": "set_priority", "config": {"priority": "HIGH"}}],
}
TEMPLATE = {"name": "Weekly", "payload": {"title": "Review"}, "rrule": "FREQ=WEEKLY;BYDAY=FR;BYHOUR=14"}
# A valid body per route, so that a refusal can only come from authentication or ownership.
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("PATCH", "/boards/{boardId}"): {"name": "x"},
    ("PATCH", "/boards/{boardId}/settings"): {"staleAfterDays": 3},
    ("PUT", "/boards/{boardId}/settings"): {"staleAfterDays": 3},
    ("POST", "/boards/{boardId}/columns"): {"name": "x", "type": "CONTEXT"},
    ("PATCH", "/columns/{columnId}"): {"name": "x"},
    ("POST", "/boards/{boardId}/columns/reorder"): {"columnIds": ["{columnId}"]},
    ("POST", "/boards/{boardId}/tasks"): {"title": "x"},
    ("PATCH", "/tasks/{taskId}"): {"title": "x"},
    ("POST", "/tasks/{taskId}/move"): {"columnId": "{columnId}"},
    ("POST", "/tasks/{taskId}/reorder"): {"position": 0},
    ("POST", "/tasks/{taskId}/clarify"): {"decision": "next"},
    ("POST", "/boards/{boardId}/tags"): {"name": "x"},
    ("PATCH", "/tags/{tagId}"): {"name": "y"},
    ("POST", "/tasks/{taskId}/tags"): {"name": "x"},
    ("POST", "/boards/{boardId}/projects"): {"name": "x"},
    ("PATCH", "/projects/{projectId}"): {"name": "x"},
    ("POST", "/boards/{boardId}/rules"): RULE,
    ("PATCH", "/rules/{ruleId}"): {"name": "x"},
    ("POST", "/boards/{boardId}/templates"): TEMPLATE,
    ("PATCH", "/templates/{templateId}"): {"name": "x"},
    ("POST", "/tasks/{taskId}/checklist"): {"title": "x"},
    ("PATCH", "/checklist-items/{itemId}"): {"title": "x"},
    ("POST", "/tasks/{taskId}/checklist/reorder"): {"itemIds": ["{itemId}"]},
}


def _fill(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        return re.sub(r"\{(\w+)\}", lambda m: ids[m.group(1)], value)
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


async def _owner_resources(api: ApiHarness, owner: dict[str, str]) -> dict[str, str]:
    board = await create_board(api, owner)
    task = await create_task(api, owner, board, title="Owner's task", tags=["private"])
    column = board["columns"][0]["id"]
    client = api.client
    tag = (await client.get(f"/boards/{board['id']}/tags", headers=owner)).json()[0]["id"]
    project = (await client.post(f"/boards/{board['id']}/projects", json={"name": "P"}, headers=owner)).json()["id"]
    item = (await client.post(f"/tasks/{task['id']}/checklist", json={"title": "Step"}, headers=owner)).json()["id"]
    rule = (
        await client.post(
            f"/boards/{board['id']}/rules",
            json={
                "name": "R",
                "trigger": {"type": "task.created"},
                "actions": [{"type": "set_priority", "config": {"priority": "HIGH"}}],
            },
            headers=owner,
        )
    ).json()["id"]
    template = (
        await client.post(
            f"/boards/{board['id']}/templates",
            json={"name": "Weekly", "payload": {"title": "Review"}, "rrule": "FREQ=WEEKLY;BYDAY=FR;BYHOUR=14"},
            headers=owner,
        )
    ).json()["id"]
    await propose(api, {"board": board["id"], "task": task["id"]}, draft("priority", data={"priority": "HIGH"}))
    hint = (await client.get(f"/tasks/{task['id']}/hints", headers=owner)).json()[0]["id"]
    return {
        "boardId": board["id"], "columnId": column, "taskId": task["id"], "tagId": tag, "projectId": project,
        "itemId": item, "hintId": hint, "ruleId": rule, "templateId": template,
    }  # fmt: skip


def _routes(api: ApiHarness) -> list[tuple[str, str]]:
    spec: dict[str, Any] = api.app.openapi()  # type: ignore[attr-defined]
    found = []
    for path, operations in spec["paths"].items():
        local = path.removeprefix("/api/v1")
        if local in PUBLIC:
            continue
        for method in operations:
            found.append((method.upper(), local))
    return found


async def _fingerprint(api: ApiHarness) -> tuple[int, ...]:
    """Row counts and the sum of versions of the owner's data: any change shows."""
    async with api.app.state.services.engine.connect() as conn:  # type: ignore[attr-defined]
        counts = [await conn.scalar(select(func.count()).select_from(table)) for table in (
            t.boards, t.columns, t.tasks, t.tags, t.projects, t.checklist_items, t.rules, t.recurring_templates,
            t.hints, t.task_events, t.messaging.outbox,
        )]  # fmt: skip
        versions = await conn.scalar(select(func.sum(t.tasks.c.version)))
        statuses = await conn.scalar(select(func.count()).select_from(t.hints).where(t.hints.c.status != "proposed"))
    return (*[int(c or 0) for c in counts], int(versions or 0), int(statuses or 0))


async def test_every_route_refuses_anonymous_and_hides_the_owners_resources_from_others(api: ApiHarness) -> None:
    owner = await api.make_user()
    stranger = await api.make_user()
    await api.client.get("/boards/default", headers=stranger)  # the stranger has data of their own
    ids = await _owner_resources(api, owner)
    routes = _routes(api)
    assert len(routes) > 40
    before = await _fingerprint(api)
    for method, path in routes:
        url = _fill(path, ids)
        body = _fill(BODIES.get((method, path)), ids)
        anonymous = await api.client.request(method, url, json=body)
        assert anonymous.status_code == 401, (method, path, anonymous.status_code, anonymous.text)
        assert anonymous.headers["content-type"].startswith("application/problem+json")
        if path in SELF_ONLY or "{" not in path:
            continue
        other = await api.client.request(method, url, json=body, headers=stranger)
        assert other.status_code == 404, (method, path, other.status_code, other.text)
    assert await _fingerprint(api) == before, "a refused request changed something"

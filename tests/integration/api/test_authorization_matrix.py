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
# The feed and the digest's links work by their secret URL alone (calendar and mail apps send no credentials).
PUBLIC = {
    "/calendar/{feedToken}.ics",
    "/mail-actions/{token}",
    "/digest/unsubscribe/{token}",
    "/auth/register",
    "/auth/login",
    "/auth/refresh",
    "/auth/session",
    "/health/live",
    "/health/ready",
}
# About the caller, or the same for everyone (the rule presets): no resource id.
SELF_ONLY = {"/users/me", "/users/me/password", "/auth/logout", "/rule-presets"}
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
    ("POST", "/boards/{boardId}/rules/dry-run"): RULE,
    ("PATCH", "/rules/{ruleId}"): {"name": "x"},
    ("POST", "/rules/{ruleId}/run"): {"taskIds": ["{taskId}"]},
    ("POST", "/boards/{boardId}/templates"): TEMPLATE,
    ("PATCH", "/templates/{templateId}"): {"name": "x"},
    ("POST", "/tasks/{taskId}/checklist"): {"title": "x"},
    ("PATCH", "/checklist-items/{itemId}"): {"title": "x"},
    ("POST", "/tasks/{taskId}/checklist/reorder"): {"itemIds": ["{itemId}"]},
    ("POST", "/capture"): {"text": "x"},
    ("POST", "/capture/preview"): {"text": "x"},
    ("POST", "/tokens"): {"name": "x", "scopes": ["read"]},
    ("PUT", "/digest"): {"enabled": True, "hour": 7},
    # A literal public address: nothing to resolve, nothing refused by the SSRF guard.
    ("POST", "/webhooks"): {"name": "x", "url": "http://93.184.216.34/hook"},
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
    token = (await client.post("/tokens", json={"name": "cli", "scopes": ["capture"]}, headers=owner)).json()["id"]
    webhook = (await client.post("/webhooks", json=BODIES[("POST", "/webhooks")], headers=owner)).json()["id"]
    return {
        "tokenId": token, "webhookId": webhook, "boardId": board["id"], "columnId": column, "taskId": task["id"], "tagId": tag,
        "projectId": project, "itemId": item, "hintId": hint, "ruleId": rule, "templateId": template,
        "presetKey": "overdue-tag",
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
            t.hints, t.task_events, t.messaging.outbox, t.webhooks, t.webhook_deliveries,
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


async def _token(api: ApiHarness, owner: dict[str, str], *scopes: str) -> dict[str, str]:
    created = await api.client.post("/tokens", json={"name": "t", "scopes": list(scopes)}, headers=owner)
    assert created.status_code == 201, created.text
    return {"Authorization": f"Bearer {created.json()['token']}"}


def _token_may(scopes: set[str], method: str, path: str) -> bool:
    """What the scopes promise (README "Capture"), written out independently of the code."""
    if path.startswith(("/tokens", "/webhooks", "/auth/", "/users/me/password")):
        return False
    return (
        "write" in scopes
        or ("read" in scopes and method == "GET")
        or ("capture" in scopes and path.startswith("/capture"))
    )


async def test_personal_access_tokens_have_only_their_scopes_rights(api: ApiHarness) -> None:
    owner = await api.make_user()
    ids = await _owner_resources(api, owner)
    tokens = {
        "capture": await _token(api, owner, "capture"),
        "read": await _token(api, owner, "read"),
        "write": await _token(api, owner, "write"),
    }
    before = await _fingerprint(api)
    for method, path in _routes(api):
        url, body = _fill(path, ids), _fill(BODIES.get((method, path)), ids)
        for scope, headers in tokens.items():
            if _token_may({scope}, method, path):
                continue  # allowed: each route's own tests cover what it does
            refused = await api.client.request(method, url, json=body, headers=headers)
            assert refused.status_code == 403, (scope, method, path, refused.status_code, refused.text)
            assert refused.headers["content-type"].startswith("application/problem+json")
    assert await _fingerprint(api) == before, "a refused request changed something"
    board = f"/boards/{ids['boardId']}"
    assert (await api.client.get(board, headers=tokens["capture"])).status_code == 403  # capture cannot read
    assert (await api.client.get(board, headers=tokens["read"])).status_code == 200
    captured = await api.client.post("/capture", json={"text": "From a script"}, headers=tokens["capture"])
    assert captured.status_code == 201, captured.text
    listed = await api.client.get("/tokens", headers=owner)
    assert all("token" not in t for t in listed.json()) and len(listed.json()) == 4

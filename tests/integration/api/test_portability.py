"""Export and import of our own document: a rich board round-trips into a fresh instance read for read.

Also: the document validates against docs/export.schema.json, an import touches nobody else, the
same file twice is a no-op, the Worker is told through one baseline event per aggregate, and
oversized or broken files are refused with a problem naming the limit or the field.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

from kanban.api.app import create_app
from kanban.api.portability.document import document_schema
from kanban.db.urls import DatabaseUrl
from kanban.messaging.transports.memory import MemoryHub
from tests.integration.api.board_helpers import column_id, create_board, create_task
from tests.integration.api.conftest import ApiHarness
from tests.integration.api.factories import outbox_events
from tests.integration.api.test_hints import outbox, propose
from tests.support.databases import DatabaseFactory
from tests.support.pipelines import draft
from tests.support.settings import settings_for

SCHEMA_FILE = Path(__file__).resolve().parents[3] / "docs" / "export.schema.json"
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@asynccontextmanager
async def instance(db: DatabaseUrl, **settings: str) -> AsyncIterator[ApiHarness]:
    """An API instance of its own on `db`, driven through HTTP."""
    app = create_app(settings_for("api", db, None, **settings), hub=MemoryHub())
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://test/api/v1") as client,
    ):
        yield ApiHarness(client=client, app=app)


@pytest.fixture
async def fresh(database_factory: DatabaseFactory, backend: str) -> AsyncIterator[ApiHarness]:
    """A second, empty instance on the same backend: its own database and app."""
    async with instance(await database_factory.create("api", backend), KANBAN_IMPORT_MAX_BYTES="200000") as api:
        yield api


def canonical(value: Any) -> Any:
    """`value` with every id replaced by its order of first appearance: equal iff equal but for ids."""
    seen: dict[str, str] = {}
    text = _UUID.sub(lambda m: seen.setdefault(m.group(0), f"<id{len(seen)}>"), json.dumps(value, sort_keys=True))
    return json.loads(text)


async def rich_board(api: ApiHarness, me: dict[str, str]) -> str:
    """A board with every kind of thing a person makes, through the API."""
    c = api.client
    board = await create_board(api, me, "Rich")
    b = board["id"]
    await c.patch(f"/boards/{b}/settings", json={"staleAfterDays": 3, "autoApplyHints": True}, headers=me)
    lane = (
        await c.post(f"/boards/{b}/columns", json={"name": "@Phone", "type": "CONTEXT", "wipLimit": 2}, headers=me)
    ).json()
    project = (
        await c.post(f"/boards/{b}/projects", json={"name": "Move house", "desiredOutcome": "Settled"}, headers=me)
    ).json()
    await c.post(f"/boards/{b}/tags", json={"name": "Errand", "color": "#112233"}, headers=me)
    first = await create_task(
        api, me, board, title="Call the movers", description="Ask about **Friday**", tags=["Errand", "phone"],
        priority="HIGH", context="PHONE", dueAt="2030-05-01T09:00:00Z", durationMinutes=15,
        projectId=project["id"], metadata={"link": "https://example.test/x"},
    )  # fmt: skip
    second = await create_task(api, me, board, title="Pack books", waitingFor="boxes")
    third = await create_task(api, me, board, title="Old idea")
    for title in ("Get boxes", "Label boxes"):
        await c.post(f"/tasks/{second['id']}/checklist", json={"title": title}, headers=me)
    items = (await c.get(f"/tasks/{second['id']}/checklist", headers=me)).json()["items"]
    await c.post(f"/checklist-items/{items[0]['id']}/toggle", headers=me)
    await c.post(f"/tasks/{first['id']}/move", json={"columnId": lane["id"]}, headers=me)
    await c.post(f"/tasks/{second['id']}/move", json={"columnId": column_id(board, "DONE")}, headers=me)
    await c.patch(f"/tasks/{first['id']}", json={"title": "Call the movers today"}, headers=me)
    await c.post(f"/tasks/{third['id']}/clarify", json={"decision": "someday"}, headers=me)
    gone = await create_task(api, me, board, title="Mistake")
    await c.delete(f"/tasks/{gone['id']}", headers=me)
    await c.post(
        f"/boards/{b}/rules",
        json={"name": "Urgent phone", "trigger": {"type": "task.created"},
              "actions": [{"type": "set_priority", "config": {"priority": "HIGH"}}]},
        headers=me,
    )  # fmt: skip
    await c.post(
        f"/boards/{b}/templates",
        json={"name": "Weekly review", "payload": {"title": "Review", "columnId": lane["id"]},
              "rrule": "FREQ=WEEKLY;BYDAY=FR;BYHOUR=14"},
        headers=me,
    )  # fmt: skip
    ids = {"board": b, "task": third["id"]}
    await propose(
        api,
        ids,
        draft("priority", confidence=0.5, data={"priority": "LOW"}),
        draft("title", confidence=0.4, content="Old idea!"),
    )
    hints = (await c.get(f"/tasks/{third['id']}/hints", headers=me)).json()
    by_type = {h["hintType"]: h for h in hints}
    await c.post(f"/hints/{by_type['priority']['id']}/apply", headers=me)
    await c.post(f"/hints/{by_type['title']['id']}/dismiss", headers=me)
    return b


async def small_board(api: ApiHarness, me: dict[str, str], name: str = "Rich") -> str:
    """A board with three tagged tasks: enough where the test is not about richness."""
    board = await create_board(api, me, name)
    for title in ("One", "Two", "Three"):
        await create_task(api, me, board, title=title, tags=["t"])
    return str(board["id"])


async def every_read(api: ApiHarness, me: dict[str, str], board_id: str) -> dict[str, Any]:
    """Every API read of a board and of everything on it."""
    c = api.client

    async def get(path: str, **params: Any) -> Any:
        response = await c.get(path, headers=me, params=params)
        assert response.status_code == 200, (path, response.text)
        return response.json()

    board = await get(f"/boards/{board_id}")
    reads: dict[str, Any] = {"board": board}
    for path in ("tags", "projects", "rules", "templates", "stale", "clarify/stats", "clarify/next"):
        reads[path] = await get(f"/boards/{board_id}/{path}")
    reads["events"] = await get(f"/boards/{board_id}/events", limit=200)
    for sort in ("position", "createdAt", "dueAt", "priority"):
        page = await get(f"/boards/{board_id}/tasks", sort=sort, limit=200)
        if sort in ("dueAt", "priority"):  # tasks with equal keys come in id order: compare them by title
            key = "dueAt" if sort == "dueAt" else "priority"
            page["items"] = sorted(page["items"], key=lambda t, k=key: (str(t[k]), t["title"]))  # type: ignore[misc]
        reads[f"tasks by {sort}"] = page
    for column in board["columns"]:
        for task in column["tasks"]:
            t = task["id"]
            reads[f"task {task['title']}"] = {
                "task": await get(f"/tasks/{t}"), "checklist": await get(f"/tasks/{t}/checklist"),
                # Hints of one proposal share their created_at; the API then orders them by id.
                "hints": sorted(await get(f"/tasks/{t}/hints"), key=lambda h: (h["createdAt"], h["hintType"])), "events": await get(f"/tasks/{t}/events", limit=200),
            }  # fmt: skip
    reads["boards"] = [b for b in await get("/boards") if b["id"] == board_id]
    return reads


async def test_a_rich_board_round_trips_into_a_fresh_instance(api: ApiHarness, fresh: ApiHarness) -> None:
    me = await api.make_user()
    await api.client.get("/boards/default", headers=me)  # the default board is another one
    board_id = await rich_board(api, me)
    exported = await api.client.get(f"/boards/{board_id}/export", headers=me)
    assert exported.status_code == 200
    assert "attachment" in exported.headers["content-disposition"]
    document = exported.json()
    jsonschema.validate(document, json.loads(SCHEMA_FILE.read_text()))

    newcomer = await fresh.make_user()
    imported = await fresh.client.post("/imports", content=exported.content, headers=newcomer)
    assert imported.status_code == 201, imported.text
    report = imported.json()
    [new_board] = report["boards"]
    assert report["counts"]["tasks"] == 3 and report["notCarried"] == []

    original, copy = await every_read(api, me, board_id), await every_read(fresh, newcomer, new_board["id"])
    # The newcomer's only board is their default; the owner's default was another board.
    original["boards"][0]["isDefault"] = original["board"]["isDefault"] = True
    a, b = canonical(copy), canonical(original)
    for key in b:
        assert a[key] == b[key], (key, _diff(a[key], b[key]))
    assert a == b


def _diff(a: Any, b: Any, path: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        return [d for k in sorted(set(a) | set(b)) for d in _diff(a.get(k), b.get(k), f"{path}.{k}")]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in _diff(x, y, f"{path}[{i}]")]
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]


async def test_the_account_export_holds_every_board_and_validates(api: ApiHarness) -> None:
    me = await api.make_user()
    await rich_board(api, me)
    await create_board(api, me, "Second")
    response = await api.client.get("/users/me/export", headers=me)
    document = response.json()
    jsonschema.validate(document, json.loads(SCHEMA_FILE.read_text()))
    assert document["scope"] == "account" and len(document["boards"]) == 2
    assert document["owner"]["email"].endswith("@example.test")
    assert all("passwordHash" not in json.dumps(b) for b in document["boards"])
    [rich] = [b for b in document["boards"] if b["name"] == "Rich"]
    assert {len(rich[k]) > 0 for k in ("columns", "projects", "tags", "tasks", "checklistItems", "hints", "rules",
                                          "templates", "taskEvents")} == {True}  # fmt: skip
    assert all("source" in t and "tagIds" in t for t in rich["tasks"])


def test_the_schema_file_is_generated_from_the_tables() -> None:
    assert json.loads(SCHEMA_FILE.read_text()) == document_schema(), (
        "run: kanban export --schema > docs/export.schema.json"
    )


async def test_an_import_is_idempotent_isolated_and_announced(api: ApiHarness) -> None:
    me, other = await api.make_user(), await api.make_user()
    board_id = await small_board(api, me)
    theirs = await create_board(api, other, "Theirs")
    document = (await api.client.get(f"/boards/{board_id}/export", headers=me)).content
    before = await api.client.get(f"/boards/{theirs['id']}", headers=other)

    first = await api.client.post("/imports", content=document, headers=me)
    again = await api.client.post("/imports", content=document, headers=me)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["alreadyImported"] is True and again.json()["boards"] == first.json()["boards"]
    boards = (await api.client.get("/boards", headers=me)).json()
    assert [b["name"] for b in boards].count("Rich") == 2  # the original and one copy, never two copies
    assert (await api.client.get(f"/boards/{theirs['id']}", headers=other)).json() == before.json()

    copy = first.json()["boards"][0]["id"]
    detail = (await api.client.get(f"/boards/{copy}", headers=me)).json()
    task_ids = [t["id"] for col in detail["columns"] for t in col["tasks"]]
    for task_id in task_ids:
        assert await outbox_events(api, task_id) == []  # no event per task: they travel in batches
    assert await outbox_events(api, copy) == [("board.created", copy), ("tasks.imported", copy)]
    [batch] = [e for e in await outbox(api, "tasks.imported") if e["board_id"] == copy]
    assert sorted(t["task_id"] for t in batch["tasks"]) == sorted(task_ids)
    # Another user may import the same file into their own account: new ids again.
    theirs_too = await api.client.post("/imports", content=document, headers=other)
    assert theirs_too.status_code == 201
    assert theirs_too.json()["boards"][0]["id"] not in {copy, board_id}


async def test_oversized_and_broken_files_are_refused_with_a_problem(fresh: ApiHarness) -> None:
    me = await fresh.make_user()
    big = await fresh.client.post("/imports", content=b"[" + b"1," * 150_000 + b"1]", headers=me)
    assert big.status_code == 413 and big.json()["maxBytes"] == 200_000
    assert big.headers["content-type"].startswith("application/problem+json")
    for body, field in [
        (b"not json", "body"),
        (json.dumps({"format": "personal-kanban", "formatVersion": 1}).encode(), "document"),
        (json.dumps({"lists": []}).encode(), "format"),
        (json.dumps({"format": "personal-kanban", "formatVersion": 99}).encode(), "formatVersion"),
    ]:
        response = await fresh.client.post("/imports", content=body, headers=me)
        assert response.status_code == 422, body
        assert field in response.json()["field"], (body, response.json())
    assert (await fresh.client.get("/boards", headers=me)).json() == []


async def test_a_dangling_reference_is_named_and_nothing_is_written(api: ApiHarness) -> None:
    me = await api.make_user()
    board_id = await small_board(api, me)
    document = (await api.client.get(f"/boards/{board_id}/export", headers=me)).json()
    document["boards"][0]["tasks"][0]["columnId"] = "00000000-0000-0000-0000-000000000000"
    response = await api.client.post("/imports", json=document, headers=me)
    assert response.status_code == 422
    assert response.json()["field"] == "boards/0/tasks/0/columnId"
    assert len((await api.client.get("/boards", headers=me)).json()) == 1


async def test_too_many_tasks_is_a_422_naming_the_limit(database_factory: DatabaseFactory, backend: str) -> None:
    async with instance(await database_factory.create("api", backend), KANBAN_IMPORT_MAX_TASKS="2") as harness:
        me = await harness.make_user()
        board_id = await small_board(harness, me)
        document = (await harness.client.get(f"/boards/{board_id}/export", headers=me)).content
        response = await harness.client.post("/imports", content=document, headers=me)
    assert response.status_code == 422 and response.json()["field"] == "tasks"
    assert "at most 2" in response.json()["detail"]

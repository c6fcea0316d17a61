"""The rule engine is given a task event only when the task's board has an enabled rule as it is recorded.

A board without one costs its events no rules-inbox row and no processing round; a rule made (or
enabled) later acts on every event recorded after it, at once, although the engine never saw the
task's versions in between.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from kanban.api.app import create_app
from kanban.api.rules.consumers import RULES_CONSUMER
from kanban.api.tables import messaging
from kanban.db.urls import DatabaseUrl
from kanban.messaging.transports.memory import MemoryHub
from tests.integration.api.board_helpers import column_id, create_board, create_task
from tests.integration.api.conftest import ApiHarness
from tests.integration.api.rule_helpers import add_rule, runs, settle
from tests.support.settings import settings_for


@pytest.fixture
async def api(api_db: DatabaseUrl) -> AsyncIterator[ApiHarness]:
    # A gap in a task's versions would hold an ordinary consumer for this long: the engine must not wait.
    settings = settings_for("api", api_db, None, KANBAN_INBOX_GAP_TIMEOUT_SECONDS="3600")
    app = create_app(settings, hub=MemoryHub())
    async with app.router.lifespan_context(app):  # type: ignore[attr-defined]
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test/api/v1") as client:
            yield ApiHarness(client=client, app=app)


async def _rules_inbox_rows(api: ApiHarness, task_id: str) -> int:
    inbox = messaging.inbox
    stmt = select(func.count()).where(inbox.c.consumer == RULES_CONSUMER, inbox.c.aggregate_id == task_id)
    async with api.app.state.services.engine.connect() as conn:  # type: ignore[attr-defined]
        return int((await conn.execute(stmt)).scalar_one())


async def _move(api: ApiHarness, me: dict[str, str], task_id: str, column: str) -> dict[str, Any]:
    moved = await api.client.post(f"/tasks/{task_id}/move", json={"columnId": column}, headers=me)
    assert moved.status_code == 200, moved.text
    return moved.json()  # type: ignore[no-any-return]


def _waiting_rule() -> dict[str, Any]:
    return {
        "name": "Follow up",
        "trigger": {"type": "task.moved", "config": {"toColumnType": "WAITING"}},
        "actions": [{"type": "add_tag", "config": {"name": "follow-up"}}],
    }


async def test_a_board_without_an_enabled_rule_gives_the_engine_nothing(api: ApiHarness) -> None:
    me = await api.make_user()
    board = await create_board(api, me)
    task = await create_task(api, me, board, title="no rules here")
    await _move(api, me, task["id"], column_id(board, "WAITING"))
    assert await _rules_inbox_rows(api, task["id"]) == 0

    rule = await add_rule(api, me, board["id"], **_waiting_rule())
    paused = await api.client.patch(f"/rules/{rule['id']}", json={"enabled": False}, headers=me)
    assert paused.status_code == 200, paused.text
    await _move(api, me, task["id"], column_id(board, "INPUT"))
    await _move(api, me, task["id"], column_id(board, "WAITING"))
    assert await _rules_inbox_rows(api, task["id"]) == 0
    assert await runs(api, me, rule["id"]) == []


async def test_a_rule_made_after_a_tasks_events_acts_on_its_next_one_without_waiting(api: ApiHarness) -> None:
    me = await api.make_user()
    board = await create_board(api, me)
    rule = await add_rule(api, me, board["id"], **_waiting_rule())
    task = await create_task(api, me, board, title="seen by the engine at version 1")
    await settle(api)
    paused = await api.client.patch(f"/rules/{rule['id']}", json={"enabled": False}, headers=me)
    assert paused.status_code == 200, paused.text
    # Versions 2 and 3 happen while no rule is enabled: the engine is never given them.
    await _move(api, me, task["id"], column_id(board, "CONTEXT"))
    await _move(api, me, task["id"], column_id(board, "INPUT"))
    assert await _rules_inbox_rows(api, task["id"]) == 1

    resumed = await api.client.patch(f"/rules/{rule['id']}", json={"enabled": True}, headers=me)
    assert resumed.status_code == 200, resumed.text
    moved = await _move(api, me, task["id"], column_id(board, "WAITING"))
    assert moved["version"] == 4
    await settle(api)  # would wait out the hour-long gap timeout if version 4 were held behind 2 and 3

    fired = [r for r in await runs(api, me, rule["id"]) if r["taskId"] == task["id"]]
    assert [r["status"] for r in fired] == ["applied"]
    tagged = (await api.client.get(f"/tasks/{task['id']}", headers=me)).json()
    assert [t["name"] for t in tagged["tags"]] == ["follow-up"]


async def test_a_rule_made_on_another_board_gives_the_engine_nothing_here(api: ApiHarness) -> None:
    me = await api.make_user()
    ruled, plain = await create_board(api, me), await create_board(api, me)
    await add_rule(api, me, ruled["id"], **_waiting_rule())
    here = await create_task(api, me, plain, title="on the board without rules")
    there = await create_task(api, me, ruled, title="on the board with a rule")
    assert await _rules_inbox_rows(api, here["id"]) == 0
    assert await _rules_inbox_rows(api, there["id"]) == 1

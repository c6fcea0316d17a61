"""Rules run: every trigger and action end to end through HTTP, on the engine's own inbox and scheduler."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from kanban.api.tables import messaging, rules, tasks
from kanban.db.types import utcnow
from tests.integration.api.board_helpers import column_id, create_board, create_task
from tests.integration.api.conftest import ApiHarness
from tests.integration.api.rule_helpers import (
    SETTLE_DEADLINE_SECONDS,
    add_rule,
    history,
    insert_stored_rule,
    runs,
    settle,
    tick,
)


async def _task(api: ApiHarness, me: dict[str, str], task_id: str) -> dict[str, Any]:
    response = await api.client.get(f"/tasks/{task_id}", headers=me)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def _tags(task: dict[str, Any]) -> list[str]:
    return sorted(t["name"] for t in task["tags"])


async def test_a_created_task_is_moved_and_tagged_and_the_change_names_the_rule(api: ApiHarness) -> None:
    me = await api.make_user()
    board = await create_board(api, me)
    rule = await add_rule(
        api, me, board["id"], name="Calls to Next actions",
        trigger={"type": "task.created", "config": {"columnType": "INPUT"}},
        conditions=[{"field": "title", "operator": "contains", "value": "call"}],
        actions=[
            {"type": "move", "config": {"columnId": column_id(board, "CONTEXT"), "position": "top"}},
            {"type": "add_tag", "config": {"name": "calls"}},
            {"type": "set_context", "config": {"context": "PHONE"}},
        ],
    )  # fmt: skip
    matching = await create_task(api, me, board, title="Call the plumber")
    other = await create_task(api, me, board, title="Buy milk")
    await settle(api)

    moved = await _task(api, me, matching["id"])
    assert (moved["columnId"], _tags(moved), moved["context"]) == (column_id(board, "CONTEXT"), ["calls"], "PHONE")
    assert (await _task(api, me, other["id"]))["columnId"] == column_id(board, "INPUT")
    change = next(e for e in await history(api, me, matching["id"]) if e["toColumnId"] == column_id(board, "CONTEXT"))
    assert change["triggeredBy"] == f"rule:{rule['id']}"
    log = {r["taskId"]: r for r in await runs(api, me, rule["id"])}
    assert log[matching["id"]]["status"] == "applied" and log[matching["id"]]["eventType"] == "task.created"
    assert {"field": "context", "old": None, "new": "PHONE"} in log[matching["id"]]["changes"]
    assert log[other["id"]]["status"] == "no_match" and "title contains" in log[other["id"]]["reason"]
    assert (await api.client.get(f"/rules/{rule['id']}", headers=me)).json()["lastRunAt"] is not None


async def test_moves_field_changes_and_checklists_fire_their_triggers(api: ApiHarness) -> None:
    me = await api.make_user()
    board = await create_board(api, me)
    waiting = await add_rule(
        api, me, board["id"], name="Follow up", trigger={"type": "task.moved", "config": {"toColumnType": "WAITING"}},
        actions=[{"type": "set_waiting", "config": {"waitingFor": "Alex", "followUpInDays": 3}}],
    )  # fmt: skip
    await add_rule(
        api, me, board["id"], name="Out of waiting", trigger={"type": "task.moved", "config": {"fromColumnType": "WAITING"}},
        actions=[{"type": "set_waiting", "config": {"waitingFor": None}}, {"type": "set_due", "config": {"inDays": None}}],
    )  # fmt: skip
    await add_rule(
        api, me, board["id"], name="Someday tag", trigger={"type": "task.updated", "config": {"fields": ["tags"]}},
        conditions=[{"field": "tags", "operator": "eq", "value": "someday"}],
        actions=[{"type": "move_to_type", "config": {"columnType": "SOMEDAY"}}],
    )  # fmt: skip
    await add_rule(
        api, me, board["id"], name="Checklist done", trigger={"type": "checklist.completed"},
        actions=[{"type": "mark_done"}],
    )  # fmt: skip

    task = await create_task(api, me, board, title="Ask Alex")
    move = await api.client.post(
        f"/tasks/{task['id']}/move", json={"columnId": column_id(board, "WAITING")}, headers=me
    )
    assert move.status_code == 200
    await settle(api)
    waited = await _task(api, me, task["id"])
    assert waited["waitingFor"] == "Alex" and waited["dueAt"] is not None
    assert [r["status"] for r in await runs(api, me, waiting["id"])] == ["applied"]

    back = await api.client.post(
        f"/tasks/{task['id']}/move", json={"columnId": column_id(board, "CONTEXT")}, headers=me
    )
    assert back.status_code == 200
    await settle(api)
    cleared = await _task(api, me, task["id"])
    assert (cleared["waitingFor"], cleared["dueAt"]) == (None, None)

    assert (await api.client.patch(f"/tasks/{task['id']}", json={"tags": ["Someday"]}, headers=me)).status_code == 200
    await settle(api)
    assert (await _task(api, me, task["id"]))["columnId"] == column_id(board, "SOMEDAY")

    item = await api.client.post(f"/tasks/{task['id']}/checklist", json={"title": "only step"}, headers=me)
    assert item.status_code == 201
    await settle(api)
    assert (await _task(api, me, task["id"]))["isDone"] is False
    assert (await api.client.post(f"/checklist-items/{item.json()['id']}/toggle", headers=me)).status_code == 200
    await settle(api)
    done = await _task(api, me, task["id"])
    assert (done["columnId"], done["isDone"]) == (column_id(board, "DONE"), True)


async def test_a_rule_created_task_carries_its_source_and_fires_source_filtered_rules(api: ApiHarness) -> None:
    me = await api.make_user()
    board = await create_board(api, me)
    await add_rule(
        api, me, board["id"], name="Done: follow-up task",
        trigger={"type": "task.moved", "config": {"toColumnType": "DONE"}},
        actions=[{"type": "create_task", "config": {"title": "Send the invoice", "columnType": "CONTEXT",
                                                    "checklist": ["Draft", "Send"]}}],
    )  # fmt: skip
    from_rule = await add_rule(
        api, me, board["id"], name="From rules", trigger={"type": "task.created", "config": {"sources": ["rule"]}},
        actions=[{"type": "add_tag", "config": {"name": "automatic"}}],
    )  # fmt: skip
    from_email = await add_rule(
        api, me, board["id"], name="From email", trigger={"type": "task.created", "config": {"sources": ["email"]}},
        actions=[{"type": "add_tag", "config": {"name": "email"}}],
    )  # fmt: skip
    task = await create_task(api, me, board, title="Fix the sink")
    await api.client.post(f"/tasks/{task['id']}/move", json={"columnId": column_id(board, "DONE")}, headers=me)
    await settle(api)
    listed = (await api.client.get(f"/boards/{board['id']}/tasks", params={"q": "invoice"}, headers=me)).json()
    [created] = listed["items"]
    assert (created["columnId"], created["source"], _tags(created)) == (
        column_id(board, "CONTEXT"),
        "rule",
        ["automatic"],
    )
    assert created["checklist"] == {"total": 2, "done": 0}
    assert [r["depth"] for r in await runs(api, me, from_rule["id"])] == [2]
    assert await runs(api, me, from_email["id"]) == []


async def test_time_triggers_fire_once_per_occurrence(api: ApiHarness) -> None:
    me = await api.make_user()
    board = await create_board(api, me)
    overdue = await add_rule(
        api, me, board["id"], name="Overdue", trigger={"type": "task.overdue"},
        actions=[{"type": "add_tag", "config": {"name": "overdue"}}],
    )  # fmt: skip
    await add_rule(
        api, me, board["id"], name="Due soon", trigger={"type": "task.due_soon", "config": {"withinDays": 1}},
        actions=[{"type": "set_priority", "config": {"priority": "HIGH"}}],
    )  # fmt: skip
    idle = await add_rule(
        api, me, board["id"], name="Archive done", trigger={"type": "task.idle", "config": {"days": 7, "columnType": "DONE"}},
        actions=[{"type": "archive"}],
    )  # fmt: skip
    now = utcnow()
    late = await create_task(api, me, board, title="Late", dueAt=(now - timedelta(hours=1)).isoformat())
    soon = await create_task(api, me, board, title="Soon", dueAt=(now + timedelta(hours=12)).isoformat())
    later = await create_task(api, me, board, title="Later", dueAt=(now + timedelta(days=5)).isoformat())
    finished = await create_task(api, me, board, title="Finished", columnId=column_id(board, "DONE"))
    await settle(api)

    await tick(api)
    assert await tick(api) == 0  # the same occurrences never fire twice
    assert _tags(await _task(api, me, late["id"])) == ["overdue"]
    assert (await _task(api, me, soon["id"]))["priority"] == "HIGH"
    assert (await _task(api, me, later["id"]))["priority"] is None
    assert (await _task(api, me, finished["id"]))["columnId"] == column_id(board, "DONE")

    eight_days_on = now + timedelta(days=8)
    await tick(api, eight_days_on)
    assert (await _task(api, me, finished["id"]))["columnId"] == column_id(board, "ARCHIVE")
    assert [r["status"] for r in await runs(api, me, idle["id"])] == ["applied"]
    # A new due date is a new occurrence: the soon task is overdue eight days on, and tagged then.
    assert _tags(await _task(api, me, soon["id"])) == ["overdue"]
    assert len(await runs(api, me, overdue["id"])) == 3  # late, soon, later (all past due eight days on)


async def test_a_schedule_creates_the_weekly_review_once_per_occurrence(api: ApiHarness) -> None:
    me = await api.make_user()
    board = await create_board(api, me)
    presets = (await api.client.get("/rule-presets", headers=me)).json()
    keys = {p["key"] for p in presets}
    assert {"waiting-follow-up", "archive-done", "overdue-tag", "checklist-done", "weekly-review"} <= keys
    for key in sorted(keys):
        installed = await api.client.post(f"/boards/{board['id']}/rule-presets/{key}", headers=me)
        assert installed.status_code == 201, (key, installed.text)
    assert (await api.client.post(f"/boards/{board['id']}/rule-presets/nope", headers=me)).status_code == 404
    review = next(r for r in (await api.client.get(f"/boards/{board['id']}/rules", headers=me)).json()
                  if r["name"] == "Weekly review every Friday")  # fmt: skip
    assert review["nextRunAt"] is not None
    past = utcnow() - timedelta(minutes=1)
    async with api.app.state.services.engine.begin() as conn:  # type: ignore[attr-defined]
        await conn.execute(update(rules).where(rules.c.id == review["id"]).values(next_run_at=past))
    await tick(api)
    await tick(api)
    await settle(api)
    found = (await api.client.get(f"/boards/{board['id']}/tasks", params={"q": "weekly review"}, headers=me)).json()
    [task] = found["items"]
    assert (task["columnId"], task["source"], task["checklist"]["total"]) == (column_id(board, "INPUT"), "rule", 5)
    assert (await api.client.get(f"/rules/{review['id']}", headers=me)).json()["nextRunAt"] > past.isoformat()
    assert [r["status"] for r in await runs(api, me, review["id"])] == ["applied"]


async def test_dry_run_writes_nothing_and_a_manual_run_applies_every_action(api: ApiHarness) -> None:
    me = await api.make_user()
    board = await create_board(api, me)
    project = (await api.client.post(f"/boards/{board['id']}/projects", json={"name": "House"}, headers=me)).json()
    rule = await add_rule(
        api, me, board["id"], name="Tidy", trigger={"type": "manual"},
        conditions=[{"field": "tags", "operator": "eq", "value": "tidy"}],
        actions=[
            {"type": "remove_tag", "config": {"name": "tidy"}},
            {"type": "set_project", "config": {"projectId": project["id"]}},
            {"type": "set_due", "config": {"inDays": 2}},
            {"type": "add_checklist", "config": {"items": ["one", "two"]}},
            {"type": "add_note", "config": {"text": "tidied by a rule"}},
            {"type": "request_analysis"},
            {"type": "move_to_type", "config": {"columnType": "CONTEXT"}},
        ],
    )  # fmt: skip
    tidy = await create_task(api, me, board, title="Tidy me", tags=["tidy"])
    plain = await create_task(api, me, board, title="Leave me")
    await settle(api)

    preview = await api.client.post(f"/rules/{rule['id']}/dry-run", json={}, headers=me)
    assert preview.status_code == 200, preview.text
    by_task = {t["taskId"]: t for t in preview.json()["tasks"]}
    assert by_task[tidy["id"]]["matches"] and not by_task[plain["id"]]["matches"]
    assert {"field": "tags", "old": ["tidy"], "new": []} in by_task[tidy["id"]]["changes"]
    assert (await _task(api, me, tidy["id"]))["version"] == tidy["version"]
    assert await runs(api, me, rule["id"]) == []
    draft = {"name": "draft", "trigger": {"type": "manual"}, "taskIds": [plain["id"]],
             "actions": [{"type": "set_priority", "config": {"priority": "HIGH"}}]}  # fmt: skip
    drafted = await api.client.post(f"/boards/{board['id']}/rules/dry-run", json=draft, headers=me)
    assert drafted.status_code == 200, drafted.text
    [only] = drafted.json()["tasks"]
    assert only["matches"] and only["changes"] == [{"field": "priority", "old": None, "new": "HIGH"}]
    bad = {**draft, "actions": [{"type": "archive"}, {"type": "move", "config": {"columnId": "elsewhere"}}]}
    refused = await api.client.post(f"/boards/{board['id']}/rules/dry-run", json=bad, headers=me)
    assert refused.status_code == 422 and refused.json()["field"] == "actions.1.config.columnId"

    ran = await api.client.post(f"/rules/{rule['id']}/run", json={"taskIds": [tidy["id"], plain["id"]]}, headers=me)
    assert ran.status_code == 200, ran.text
    assert [r["status"] for r in ran.json()["results"]] == ["applied", "no_match"]
    after = await _task(api, me, tidy["id"])
    assert (_tags(after), after["projectId"], after["columnId"]) == ([], project["id"], column_id(board, "CONTEXT"))
    assert after["dueAt"] is not None and after["checklist"]["total"] == 2
    notes = [e for e in await history(api, me, tidy["id"]) if e["type"] == "note"]
    assert notes[0]["payload"] == {"text": "tidied by a rule"} and notes[0]["triggeredBy"] == f"rule:{rule['id']}"
    async with api.app.state.services.engine.connect() as conn:  # type: ignore[attr-defined]
        types = (await conn.execute(select(messaging.outbox.c.event_type).where(
            messaging.outbox.c.aggregate_id == tidy["id"]))).scalars().all()  # fmt: skip
    assert "analysis.requested" in types


async def test_a_move_refused_by_a_wip_limit_is_logged_not_forced(api: ApiHarness) -> None:
    me = await api.make_user()
    board = await create_board(api, me)
    lane = column_id(board, "CONTEXT")
    assert (await api.client.patch(f"/columns/{lane}", json={"wipLimit": 1}, headers=me)).status_code == 200
    rule = await add_rule(
        api, me, board["id"], trigger={"type": "task.created", "config": {"columnType": "INPUT"}},
        actions=[{"type": "move", "config": {"columnId": lane}}],
    )  # fmt: skip
    first = await create_task(api, me, board, title="first")
    await settle(api)
    second = await create_task(api, me, board, title="second")
    await settle(api)
    assert (await _task(api, me, first["id"]))["columnId"] == lane
    assert (await _task(api, me, second["id"]))["columnId"] == column_id(board, "INPUT")
    refused = next(r for r in await runs(api, me, rule["id"]) if r["taskId"] == second["id"])
    assert refused["status"] == "refused" and "WIP" in refused["reason"]
    assert (await api.client.get(f"/rules/{rule['id']}", headers=me)).json()["enabled"] is True


async def test_rule_chains_stop_at_the_cap_and_ping_pong_terminates(api: ApiHarness) -> None:
    me = await api.make_user()
    board = await create_board(api, me)
    nxt, someday = column_id(board, "CONTEXT"), column_id(board, "SOMEDAY")
    ping = await add_rule(
        api, me, board["id"], name="ping", trigger={"type": "task.moved", "config": {"toColumnId": nxt}},
        actions=[{"type": "move", "config": {"columnId": someday}}],
    )  # fmt: skip
    pong = await add_rule(
        api, me, board["id"], name="pong", trigger={"type": "task.moved", "config": {"toColumnId": someday}},
        actions=[{"type": "move", "config": {"columnId": nxt}}],
    )  # fmt: skip
    # Reacts to every change, its own included: it must still run once per person's change.
    selfish = await add_rule(
        api, me, board["id"], name="selfish", trigger={"type": "task.updated"},
        actions=[{"type": "add_note", "config": {"text": "seen"}}, {"type": "set_priority", "config": {"priority": "LOW"}}],
    )  # fmt: skip
    task = await create_task(api, me, board, title="Bouncy")
    await api.client.post(f"/tasks/{task['id']}/move", json={"columnId": nxt}, headers=me)
    await settle(api)
    moves = [e for e in await history(api, me, task["id"]) if e["type"] == "moved"]
    by_rule = [e["triggeredBy"] for e in moves if e["triggeredBy"].startswith("rule:")]
    assert 1 <= len(by_rule) <= 3
    statuses = [r["status"] for r in await runs(api, me, ping["id"]) + await runs(api, me, pong["id"])]
    assert "skipped" in statuses
    capped = next(
        r for r in await runs(api, me, ping["id"]) + await runs(api, me, pong["id"]) if r["status"] == "skipped"
    )
    assert "chain depth cap" in capped["reason"] and capped["depth"] == 4
    assert all(r["depth"] <= 4 for r in await runs(api, me, selfish["id"]))


async def test_a_rule_that_keeps_failing_is_disabled_with_the_reason(api: ApiHarness) -> None:
    me = await api.make_user()
    board = await create_board(api, me)
    rule_id = await insert_stored_rule(
        api,
        board["id"],
        me["X-User-Id"],
        name="legacy notify",
        priority=1,
        trigger={"type": "task.created"},
        actions=[{"type": "notify", "config": {"to": "me"}}],
    )
    for n in range(5):
        await create_task(api, me, board, title=f"t{n}")
        await settle(api)
    shown = (await api.client.get(f"/rules/{rule_id}", headers=me)).json()
    assert shown["enabled"] is False and "notify: unknown channel None" in shown["disabledReason"]
    assert [r["status"] for r in await runs(api, me, rule_id)] == ["failed"] * 5
    again = await api.client.patch(f"/rules/{rule_id}", json={"enabled": True}, headers=me)
    assert again.json()["enabled"] is True and again.json()["disabledReason"] is None


async def test_a_legacy_rule_runs_in_its_translated_form(api: ApiHarness) -> None:
    """The shapes `kanban migrate split` copies verbatim: a cron schedule, a `stale` condition, `move.to`."""
    me = await api.make_user()
    board = await create_board(api, me)
    rule_id = await insert_stored_rule(
        api, board["id"], me["X-User-Id"], name="Stale after 7 days",
        trigger={"type": "schedule", "config": {"cron": "0 9 * * *"}},
        conditions=[{"field": "stale", "operator": "eq", "value": True}],
        actions=[{"type": "move", "config": {"to": "SOMEDAY"}}],
    )  # fmt: skip
    now = utcnow()
    stale = await create_task(api, me, board, title="Old", columnId=column_id(board, "CONTEXT"))
    fresh = await create_task(api, me, board, title="New", columnId=column_id(board, "CONTEXT"))
    await settle(api)
    await tick(api)  # the first round gives the migrated rule its next occurrence
    shown = (await api.client.get(f"/rules/{rule_id}", headers=me)).json()
    assert shown["nextRunAt"] is not None
    async with api.app.state.services.engine.begin() as conn:  # type: ignore[attr-defined]
        await conn.execute(
            update(tasks).where(tasks.c.id == stale["id"]).values(last_moved_at=now - timedelta(days=30))
        )
        await conn.execute(update(rules).where(rules.c.id == rule_id).values(next_run_at=now - timedelta(minutes=1)))
    await tick(api)
    assert (await _task(api, me, stale["id"]))["columnId"] == column_id(board, "SOMEDAY")
    assert (await _task(api, me, fresh["id"]))["columnId"] == column_id(board, "CONTEXT")


async def test_a_rules_change_reaches_the_board_stream(api: ApiHarness) -> None:
    me = await api.make_user()
    board = await create_board(api, me)
    await add_rule(
        api, me, board["id"], trigger={"type": "task.created"},
        actions=[{"type": "move_to_type", "config": {"columnType": "SOMEDAY"}}],
    )  # fmt: skip
    hub = api.app.state.services.realtime  # type: ignore[attr-defined]
    async with hub.subscribe(board["id"]) as queue:
        task = await create_task(api, me, board, title="Maybe later")
        while True:  # the stream's own deadline: the test fails by timeout if the move never comes
            message = await asyncio.wait_for(queue.get(), SETTLE_DEADLINE_SECONDS)
            assert message is not None
            if message.event == "task.moved" and message.data["taskId"] == task["id"]:
                break
    assert message.data["columnId"] == column_id(board, "SOMEDAY")

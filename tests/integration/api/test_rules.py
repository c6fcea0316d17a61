"""Rules: a trigger, conditions and actions, validated field by field and kept to the rule's board."""

from __future__ import annotations

from typing import Any

from kanban.api.tables import rules
from kanban.db.types import new_id, utcnow
from tests.integration.api.conftest import ApiHarness
from tests.integration.api.factories import BoardRows, make_board, problem_fields


def a_rule(board: BoardRows, **overrides: Any) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "name": "Phone calls go to the phone lane",
        "trigger": {"type": "task.created", "config": {"columnId": board.columns["INPUT"]}},
        "conditions": [
            {"field": "title", "operator": "contains", "value": "call"},
            {"field": "priority", "operator": "in", "value": ["HIGH", "MEDIUM"]},
        ],
        "actions": [
            {"type": "set_context", "config": {"context": "PHONE"}},
            {"type": "move", "config": {"columnId": board.columns["CONTEXT"]}},
            {"type": "add_tag", "config": {"name": "calls"}},
            {"type": "mark_done"},
        ],
    }
    rule.update(overrides)
    return rule


async def test_create_get_list_update_delete(api: ApiHarness) -> None:
    me = await api.make_user()
    board = await make_board(api, me)
    created = await api.client.post(f"/boards/{board.board_id}/rules", json=a_rule(board), headers=me)
    assert created.status_code == 201, created.text
    rule = created.json()
    assert (rule["enabled"], rule["priority"]) == (True, 100)
    assert rule["trigger"] == {"type": "task.created", "config": {"columnId": board.columns["INPUT"]}}
    assert rule["actions"][1] == {"type": "move", "config": {"columnId": board.columns["CONTEXT"]}}
    assert rule["actions"][3] == {"type": "mark_done", "config": {}}
    assert rule["conditions"][1] == {"field": "priority", "operator": "in", "value": ["HIGH", "MEDIUM"]}

    scheduled = a_rule(
        board, name="Weekly review", priority=10, conditions=[],
        trigger={"type": "schedule", "config": {"rrule": "FREQ=WEEKLY;BYDAY=FR;BYHOUR=16", "timezone": "Europe/Berlin"}},
        actions=[{"type": "set_priority", "config": {"priority": None}}],
    )  # fmt: skip
    assert (await api.client.post(f"/boards/{board.board_id}/rules", json=scheduled, headers=me)).status_code == 201
    listed = (await api.client.get(f"/boards/{board.board_id}/rules", headers=me)).json()
    assert [r["name"] for r in listed] == ["Weekly review", "Phone calls go to the phone lane"]

    patched = await api.client.patch(
        f"/rules/{rule['id']}",
        json={"enabled": False, "actions": [{"type": "set_due", "config": {"inDays": 3}}]},
        headers=me,
    )
    assert patched.status_code == 200
    assert patched.json()["enabled"] is False
    assert patched.json()["actions"] == [{"type": "set_due", "config": {"inDays": 3}}]
    assert (await api.client.get(f"/rules/{rule['id']}", headers=me)).json()["conditions"] == rule["conditions"]

    assert (await api.client.delete(f"/rules/{rule['id']}", headers=me)).status_code == 204
    assert (await api.client.get(f"/rules/{rule['id']}", headers=me)).status_code == 404


async def test_invalid_shapes_name_the_field(api: ApiHarness) -> None:
    me = await api.make_user()
    board = await make_board(api, me)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"trigger": {"type": "task.deleted"}}, "trigger"),
        ({"trigger": {"type": "schedule"}}, "trigger.schedule.config"),
        ({"trigger": {"type": "schedule", "config": {"rrule": "FREQ=YEARLY"}}}, "trigger.schedule.config.rrule"),
        (
            {"trigger": {"type": "schedule", "config": {"rrule": "FREQ=DAILY", "timezone": "Mars/Base"}}},
            "trigger.schedule.config.timezone",
        ),
        (
            {"trigger": {"type": "task.updated", "config": {"fields": ["colour"]}}},
            "trigger.task.updated.config.fields.0",
        ),
        ({"conditions": [{"field": "title", "operator": "like", "value": "x"}]}, "conditions.0.operator"),
        ({"conditions": [{"field": "colour", "operator": "eq", "value": "x"}]}, "conditions.0.field"),
        ({"conditions": [{"field": "priority", "operator": "in", "value": "HIGH"}]}, "conditions.0.value"),
        ({"conditions": [{"field": "dueAt", "operator": "contains", "value": "x"}]}, "conditions.0.value"),
        ({"conditions": [{"field": "title", "operator": "gt", "value": 3}]}, "conditions.0.value"),
        ({"actions": []}, "actions"),
        ({"actions": [{"type": "explode", "config": {}}]}, "actions.0"),
        ({"actions": [{"type": "move", "config": {}}]}, "actions.0.move.config.columnId"),
        (
            {"actions": [{"type": "set_priority", "config": {"priority": "URGENT"}}]},
            "actions.0.set_priority.config.priority",
        ),
        ({"actions": [{"type": "add_tag", "config": {"name": " "}}]}, "actions.0.add_tag.config.name"),
        ({"priority": -1}, "priority"),
        ({"name": ""}, "name"),
    ]
    for overrides, field in cases:
        response = await api.client.post(f"/boards/{board.board_id}/rules", json=a_rule(board, **overrides), headers=me)
        assert response.status_code == 422, overrides
        assert field in problem_fields(response.json()), (overrides, response.json())


async def test_columns_and_projects_must_be_on_the_board(api: ApiHarness) -> None:
    me = await api.make_user()
    board, other = await make_board(api, me), await make_board(api, me)
    foreign_column = other.columns["INPUT"]
    cases: list[tuple[dict[str, Any], str]] = [
        ({"trigger": {"type": "task.moved", "config": {"toColumnId": foreign_column}}}, "trigger.config.toColumnId"),
        ({"actions": [{"type": "move", "config": {"columnId": foreign_column}}]}, "actions.0.config.columnId"),
        ({"actions": [{"type": "set_project", "config": {"projectId": "nope"}}]}, "actions.0.config.projectId"),
        ({"conditions": [{"field": "columnId", "operator": "in", "value": [foreign_column]}]}, "conditions.0.value"),
    ]
    for overrides, field in cases:
        response = await api.client.post(f"/boards/{board.board_id}/rules", json=a_rule(board, **overrides), headers=me)
        assert response.status_code == 422, overrides
        assert field in problem_fields(response.json()), (overrides, response.json())

    project = (await api.client.post(f"/boards/{board.board_id}/projects", json={"name": "P"}, headers=me)).json()
    ok = a_rule(board, actions=[{"type": "set_project", "config": {"projectId": project["id"]}}])
    rule = await api.client.post(f"/boards/{board.board_id}/rules", json=ok, headers=me)
    assert rule.status_code == 201
    bad_patch = await api.client.patch(
        f"/rules/{rule.json()['id']}",
        json={"actions": [{"type": "move", "config": {"columnId": foreign_column}}]},
        headers=me,
    )
    assert bad_patch.status_code == 422 and "actions.0.config.columnId" in problem_fields(bad_patch.json())
    null_name = await api.client.patch(f"/rules/{rule.json()['id']}", json={"name": None}, headers=me)
    assert null_name.status_code == 422 and "name" in problem_fields(null_name.json())


async def test_other_users_and_missing_rules_are_not_found(api: ApiHarness) -> None:
    me, stranger = await api.make_user(), await api.make_user()
    board = await make_board(api, me)
    rule = (await api.client.post(f"/boards/{board.board_id}/rules", json=a_rule(board), headers=me)).json()
    for method, url, body in [
        ("GET", f"/boards/{board.board_id}/rules", None),
        ("POST", f"/boards/{board.board_id}/rules", a_rule(board)),
        ("GET", f"/rules/{rule['id']}", None),
        ("PATCH", f"/rules/{rule['id']}", {"enabled": False}),
        ("DELETE", f"/rules/{rule['id']}", None),
    ]:
        response = await api.client.request(method, url, json=body, headers=stranger)
        assert response.status_code == 404, (method, url)
    assert (await api.client.get("/rules/missing", headers=me)).status_code == 404
    assert (await api.client.get(f"/rules/{rule['id']}", headers=me)).json()["enabled"] is True


async def test_anonymous_requests_are_refused(api: ApiHarness) -> None:
    assert (await api.client.get("/boards/any/rules")).status_code == 401
    assert (await api.client.get("/rules/any")).status_code == 401


async def test_a_rule_stored_by_the_legacy_system_still_reads(api: ApiHarness) -> None:
    me = await api.make_user()
    board = await make_board(api, me)
    rule_id, now = new_id(), utcnow()
    async with api.app.state.services.engine.begin() as conn:  # type: ignore[attr-defined]
        await conn.execute(
            rules.insert().values(
                id=rule_id, board_id=board.board_id, owner_id=board.owner_id, name="old", enabled=True, priority=5,
                trigger={"type": "task.stale"}, conditions=None, actions=[{"type": "notify", "config": {"to": "me"}}],
                created_at=now, updated_at=now,
            )
        )  # fmt: skip
    response = await api.client.get(f"/rules/{rule_id}", headers=me)
    assert response.status_code == 200
    assert (response.json()["trigger"], response.json()["conditions"]) == ({"type": "task.stale", "config": None}, [])


async def test_the_engine_vocabulary_is_validated_with_the_field_named(api: ApiHarness) -> None:
    me = await api.make_user()
    board = await make_board(api, me)  # INPUT, CONTEXT and DONE columns only
    cases: list[tuple[dict[str, Any], str]] = [
        ({"trigger": {"type": "task.due_soon", "config": {"withinDays": -1}}}, "trigger.task.due_soon.config.withinDays"),
        ({"trigger": {"type": "task.idle", "config": {}}}, "trigger.task.idle.config.days"),
        ({"trigger": {"type": "task.moved", "config": {"toColumnType": "LIMBO"}}}, "trigger.task.moved.config.toColumnType"),
        ({"trigger": {"type": "task.created", "config": {"sources": ["fax"]}}}, "trigger.task.created.config.sources.0"),
        ({"actions": [{"type": "move", "config": {"columnId": board.columns["DONE"], "position": "middle"}}]},
         "actions.0.move.config.position"),
        ({"actions": [{"type": "create_task", "config": {}}]}, "actions.0.create_task.config"),
        ({"actions": [{"type": "add_checklist", "config": {"items": []}}]}, "actions.0.add_checklist.config.items"),
        ({"actions": [{"type": "archive"}]}, "actions.0.type"),
        ({"actions": [{"type": "move_to_type", "config": {"columnType": "WAITING"}}]}, "actions.0.config.columnType"),
        ({"trigger": {"type": "task.idle", "config": {"days": 3, "columnId": "nope"}}}, "trigger.config.columnId"),
    ]  # fmt: skip
    for overrides, field in cases:
        response = await api.client.post(f"/boards/{board.board_id}/rules", json=a_rule(board, **overrides), headers=me)
        assert response.status_code == 422, overrides
        assert field in problem_fields(response.json()), (overrides, response.json())
    ok = a_rule(board, trigger={"type": "task.overdue"}, actions=[{"type": "mark_done"}])
    assert (await api.client.post(f"/boards/{board.board_id}/rules", json=ok, headers=me)).status_code == 201


async def test_a_condition_without_a_value_is_refused_or_stored_with_a_null_one(api: ApiHarness) -> None:
    me = await api.make_user()
    board = await make_board(api, me)
    needs_list = a_rule(board, conditions=[{"field": "columnId", "operator": "in"}])
    refused = await api.client.post(f"/boards/{board.board_id}/rules", json=needs_list, headers=me)
    assert refused.status_code == 422 and "conditions.0.value" in problem_fields(refused.json())
    empty = a_rule(board, conditions=[{"field": "context", "operator": "eq"}])
    created = await api.client.post(f"/boards/{board.board_id}/rules", json=empty, headers=me)
    assert created.json()["conditions"] == [{"field": "context", "operator": "eq", "value": None}]

"""The rules pages, rendered over the API's own rule handlers, on SQLite and PostgreSQL (httpx, no browser)."""

from __future__ import annotations

import re
from html import unescape as html_unescape

from kanban.api.rules.schemas import CreateRuleRequest
from kanban.ui.rule_vocabulary import vocabulary
from tests.integration.api.conftest import ApiHarness
from tests.integration.api.rule_helpers import add_rule, insert_stored_rule, settle
from tests.integration.ui.test_pages import _no_inline_code

ROOT = "http://test"


async def _board(api: ApiHarness, me: dict[str, str]) -> tuple[str, dict[str, str]]:
    board = (await api.client.get("/boards/default", headers=me)).json()
    return board["id"], {c["type"]: c["id"] for c in board["columns"]}


async def test_the_list_shows_each_rule_in_words_with_its_state_and_the_presets(api: ApiHarness) -> None:
    me = await api.make_user()
    board_id, columns = await _board(api, me)
    await add_rule(
        api, me, board_id, name="Waiting goes on", enabled=False,
        trigger={"type": "task.moved", "config": {"toColumnId": columns["WAITING"]}},
        conditions=[{"field": "priority", "operator": "eq", "value": "HIGH"}],
        actions=[{"type": "move_to_type", "config": {"columnType": "CONTEXT", "position": "top"}}],
    )  # fmt: skip
    installed = await api.client.post(f"/boards/{board_id}/rule-presets/weekly-review", headers=me)
    assert installed.status_code == 201
    html = (await api.client.get(f"{ROOT}/boards/{board_id}/rules", headers=me)).text
    _no_inline_code(html)
    assert "A task is moved to “Waiting for”, if priority is HIGH → Move to a column type: Next actions" in html
    assert "Every Friday at 16:00 (UTC)" in html and "Create a task: Weekly review" in html
    # The switch says whether each rule is on, and flips it through the API.
    assert re.search(
        r'aria-pressed="false" aria-label="Enabled: Waiting goes on"\s+'
        r'data-api="PATCH /api/v1/rules/[^"]+" data-body=\'{"enabled": true}\'',
        html,
    )
    for key in ("waiting-follow-up", "archive-done", "overdue-tag", "checklist-done", "weekly-review"):
        assert f'data-api="POST /api/v1/boards/{board_id}/rule-presets/{key}"' in html
    assert 'Weekly review every Friday <span class="chip">on this board</span>' in html
    assert 'href="/boards/' + board_id + '/rules" aria-current="page">Rules</a>' in html


async def test_a_rule_the_engine_turned_off_shows_why(api: ApiHarness) -> None:
    me = await api.make_user()
    board_id, _ = await _board(api, me)
    rule_id = await insert_stored_rule(
        api, board_id, me["X-User-Id"], enabled=False, disabled_reason="column x is no longer on the board",
        trigger={"type": "task.created", "config": {}}, actions=[{"type": "add_tag", "config": {"name": "a"}}],
    )  # fmt: skip
    listing = (await api.client.get(f"{ROOT}/boards/{board_id}/rules", headers=me)).text
    assert "Turned off after failing repeatedly: column x is no longer on the board" in listing
    page = (await api.client.get(f"{ROOT}/rules/{rule_id}", headers=me)).text
    assert "column x is no longer on the board. Enable it again" in page


async def test_every_kind_the_api_accepts_has_a_part_with_its_fields(api: ApiHarness) -> None:
    me = await api.make_user()
    board_id, columns = await _board(api, me)
    schema = CreateRuleRequest.model_json_schema(by_alias=True)
    api_actions = set(schema["properties"]["actions"]["items"]["discriminator"]["mapping"])
    api_triggers = set(schema["properties"]["trigger"]["discriminator"]["mapping"])
    assert {k.type for k in vocabulary().actions} == api_actions and len(api_actions) >= 15
    assert {k.type for k in vocabulary().triggers} == api_triggers
    for part, kinds in (("trigger", vocabulary().triggers), ("action", vocabulary().actions)):
        for kind in kinds:
            response = await api.client.get(
                f"{ROOT}/ui/boards/{board_id}/rules/parts/{part}", params={"type": kind.type, "uid": "k1"}, headers=me
            )
            assert response.status_code == 200, response.text
            _no_inline_code(response.text)
            assert f'<option value="{kind.type}" selected>' in response.text
            for spec in kind.fields:
                assert f'name="{spec.name}"' in response.text or f'data-name="{spec.name}"' in response.text, spec
    move = (await api.client.get(f"{ROOT}/ui/boards/{board_id}/rules/parts/action?type=move", headers=me)).text
    assert f'<option value="{columns["WAITING"]}">Waiting for</option>' in move and "Choose…" in move
    waiting = (
        await api.client.get(f"{ROOT}/ui/boards/{board_id}/rules/parts/action?type=set_waiting", headers=me)
    ).text
    assert 'data-type="clear"' in waiting  # absent leaves waiting-for alone, null clears it
    priority = (
        await api.client.get(f"{ROOT}/ui/boards/{board_id}/rules/parts/action?type=set_priority", headers=me)
    ).text
    assert 'data-empty="null"' in priority and "None (clear it)" in priority
    # A condition's value follows its field: a column is chosen by name; "is one of" offers boxes.
    one_of = await api.client.get(
        f"{ROOT}/ui/boards/{board_id}/rules/parts/condition",
        params={"field": "columnType", "operator": "in"},
        headers=me,
    )
    assert 'data-name="value" data-empty="list"' in one_of.text and 'value="WAITING"' in one_of.text
    missing = await api.client.get(f"{ROOT}/ui/boards/{board_id}/rules/parts/nothing", headers=me)
    assert missing.status_code == 404
    other = await api.make_user()
    refused = await api.client.get(f"{ROOT}/ui/boards/{board_id}/rules/parts/action", headers=other)
    assert refused.status_code == 404


async def test_the_editor_shows_a_saved_rule_and_its_runs(api: ApiHarness) -> None:
    me = await api.make_user()
    board_id, columns = await _board(api, me)
    rule = await add_rule(
        api, me, board_id, name="New calls to the phone",
        trigger={"type": "task.created", "config": {"columnType": "INPUT"}},
        conditions=[{"field": "title", "operator": "contains", "value": "call"}],
        actions=[{"type": "move", "config": {"columnId": columns["CONTEXT"], "position": "top"}},
                 {"type": "set_waiting", "config": {"waitingFor": None}}],
    )  # fmt: skip
    created = await api.client.post(f"/boards/{board_id}/tasks", json={"title": "call Anna"}, headers=me)
    await settle(api)
    html = (await api.client.get(f"{ROOT}/rules/{rule['id']}", headers=me)).text
    _no_inline_code(html)
    assert f'data-save="PATCH /api/v1/rules/{rule["id"]}"' in html
    assert '<option value="INPUT" selected>Inbox</option>' in html
    assert f'<option value="{columns["CONTEXT"]}" selected>Next actions</option>' in html
    assert '<option value="top" selected>Top</option>' in html
    assert 'value="call"' in html and '<option value="contains" selected>contains</option>' in html
    assert re.search(r'data-type="clear" checked', html)
    assert "applied" in html and "moved to “Next actions” (top)" in html
    assert f'<a href="/tasks/{created.json()["id"]}">call Anna</a>' in html
    fragment = (await api.client.get(f"{ROOT}/ui/rules/{rule['id']}/runs", headers=me)).text
    assert fragment.startswith('<div id="rule-runs">') and "call Anna" in fragment


async def test_a_new_rule_can_start_from_a_preset(api: ApiHarness) -> None:
    me = await api.make_user()
    board_id, _ = await _board(api, me)
    html = (await api.client.get(f"{ROOT}/boards/{board_id}/rules/new?preset=archive-done", headers=me)).text
    assert 'value="Archive Done after 7 days"' in html and f'data-save="POST /api/v1/boards/{board_id}/rules"' in html
    assert '<option value="task.idle" selected>' in html and 'value="7"' in html
    assert '<option value="archive" selected>' in html
    email = (await api.client.get(f"{ROOT}/boards/{board_id}/rules/new?preset=email-context", headers=me)).text
    assert '<input type="checkbox" value="email" checked> email' in email
    assert '<input type="checkbox" value="web"> web' in email
    blank = (await api.client.get(f"{ROOT}/boards/{board_id}/rules/new", headers=me)).text
    assert "Delete this rule" not in blank and "Run history" not in blank


async def test_legacy_rules_open_translated_or_as_json(api: ApiHarness) -> None:
    me = await api.make_user()
    board_id, _ = await _board(api, me)
    cron = await insert_stored_rule(
        api, board_id, me["X-User-Id"], trigger={"type": "schedule", "config": {"cron": "0 9 * * 1"}},
        actions=[{"type": "move", "config": {"to": "DONE"}}],
    )  # fmt: skip
    html = (await api.client.get(f"{ROOT}/rules/{cron}", headers=me)).text
    assert (
        'value="FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0"' in html and '<option value="move_to_type" selected>' in html
    )
    odd = await insert_stored_rule(
        api, board_id, me["X-User-Id"], trigger={"type": "webhook", "config": {}}, actions=[{"type": "email"}]
    )
    html = (await api.client.get(f"{ROOT}/rules/{odd}", headers=me)).text
    assert "edit it as JSON below" in html and '<details class="json-editor" open>' in html
    assert "&#34;webhook&#34;" in html or "&quot;webhook&quot;" in html


async def test_the_preview_is_the_apis_dry_run_with_its_problems(api: ApiHarness) -> None:
    me = await api.make_user()
    board_id, columns = await _board(api, me)
    for title in ("Call the bank", "Water plants"):
        await api.client.post(f"/boards/{board_id}/tasks", json={"title": title}, headers=me)
    draft = {
        "name": "Calls", "trigger": {"type": "manual"},
        "conditions": [{"field": "title", "operator": "contains", "value": "call"}],
        "actions": [{"type": "move", "config": {"columnId": columns["WAITING"], "position": "top"}}],
    }  # fmt: skip
    preview = await api.client.post(f"{ROOT}/ui/boards/{board_id}/rules/dry-run", json=draft, headers=me)
    assert preview.status_code == 200, preview.text
    html = preview.json()["html"]
    assert "<strong>1</strong> of 2 tasks match" in html
    assert "Call the bank</a>:" in html and "moved to “Waiting for” (top)" in html and "1 do not match" in html
    assert "Run the saved rule" not in html  # a draft cannot be run
    saved = await add_rule(api, me, board_id, **draft)
    preview = await api.client.post(
        f"{ROOT}/ui/boards/{board_id}/rules/dry-run", params={"rule": saved["id"]}, json=draft, headers=me
    )
    bank = next(t["taskId"] for t in (await api.client.post(f"/rules/{saved['id']}/dry-run", headers=me)).json()["tasks"]
                if t["matches"])  # fmt: skip
    run_now = f'data-api="POST /api/v1/rules/{saved["id"]}/run" data-body=\'{{"taskIds": ["{bank}"]}}\''
    assert (
        run_now in html_unescape(preview.json()["html"])
        and "Run the saved rule now on 1 task<" in preview.json()["html"]
    )
    bad = {
        **draft,
        "actions": [{"type": "move", "config": {}}],
        "trigger": {"type": "task.idle", "config": {"days": 0}},
    }
    ours = await api.client.post(f"{ROOT}/ui/boards/{board_id}/rules/dry-run", json=bad, headers=me)
    theirs = await api.client.post(f"/boards/{board_id}/rules/dry-run", json=bad, headers=me)
    assert ours.status_code == theirs.status_code == 422
    assert ours.json()["errors"] == theirs.json()["errors"]
    assert {e["field"] for e in ours.json()["errors"]} == {
        "trigger.task.idle.config.days",
        "actions.0.move.config.columnId",
    }
    signed_out = await api.client.post(f"{ROOT}/ui/boards/{board_id}/rules/dry-run", json=draft)
    assert signed_out.status_code == 401 and signed_out.headers["content-type"] == "application/problem+json"
    elsewhere = {**draft, "actions": [{"type": "move", "config": {"columnId": "nope"}}]}
    ours = await api.client.post(f"{ROOT}/ui/boards/{board_id}/rules/dry-run", json=elsewhere, headers=me)
    assert ours.status_code == 422 and ours.json()["field"] == "actions.0.config.columnId"


async def test_a_notify_action_offers_only_the_owners_own_webhooks(api: ApiHarness) -> None:
    from kanban.api.tables import webhooks
    from kanban.db.types import new_id, utcnow

    me, other = await api.make_user(), await api.make_user()
    board_id, _ = await _board(api, me)
    owners = {"Home automation": me, "Someone else's": other}
    ids = {name: (await api.client.get("/users/me", headers=who)).json()["id"] for name, who in owners.items()}
    async with api.app.state.services.engine.begin() as conn:  # type: ignore[attr-defined]
        for name, user_id in ids.items():
            await conn.execute(webhooks.insert().values(
                id=new_id(), user_id=user_id, name=name, url="https://hooks.example.org/x", secret="whsec_x",
                created_at=utcnow(),
            ))  # fmt: skip
    part = (await api.client.get(f"{ROOT}/ui/boards/{board_id}/rules/parts/action?type=notify", headers=me)).text
    assert "Home automation</option>" in part and "Someone else" not in part
    assert "whsec_" not in part

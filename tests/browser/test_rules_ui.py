"""The rules pages in Debian's headless chromium against the real services: a preset, a rule written in
the form (its validation error shown by the field, then fixed), the switch, the preview, a run, axe."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from tests.browser.conftest import api, board_of, follow, sign_up, until, wait_for_task
from tests.browser.test_board_ui import _quick_add, _violations

pytestmark = pytest.mark.e2e


def _rule_named(page: Any, name: str) -> dict[str, Any]:
    board_id = page.locator("body").get_attribute("data-board-id")
    rules = api(page, "GET", f"/boards/{board_id}/rules")
    return next(r for r in rules if r["name"] == name)


def _swapped(page: Any) -> None:
    """htmx has swapped in every part it asked the server for (it marks elements while it waits)."""
    until(page, "!document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')")


def test_rules_from_a_preset_and_from_the_form_run_and_show_their_history(browser: Any, base_url: str) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" and "422" not in m.text else None)
    asked: list[str] = []
    page.on("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    sign_up(page, base_url)
    board = board_of(page)
    next_actions = next(c["id"] for c in board["columns"] if c["type"] == "CONTEXT")
    bank = api(page, "POST", f"/boards/{board['id']}/tasks", {"title": "Call the bank"})

    # One click adds a preset as an ordinary rule.
    follow(page, "Rules")
    page.get_by_role("button", name="Add the preset “Checklist completed: done”").click()
    page.locator(".rule-card h3 a", has_text="Checklist completed: done").wait_for()
    assert _rule_named(page, "Checklist completed: done")["trigger"]["type"] == "checklist.completed"

    # A rule written in the form: the API's message shows beside the field it names, then it is fixed.
    follow(page, "New rule")
    page.get_by_label("Name", exact=True).fill("Calls go to Next actions")
    page.get_by_role("button", name="Add condition").click()
    page.get_by_label("Operator").select_option("contains")
    _swapped(page)  # the row comes back from the server for its new operator
    page.get_by_label("Value").fill("call")
    page.get_by_label("Action", exact=True).select_option("move")
    column_choice = page.locator("#actions [name=columnId]")
    column_choice.wait_for()
    page.get_by_role("button", name="Save", exact=True).click()
    page.locator("#actions [name=columnId][aria-invalid=true]").wait_for()
    note = page.locator("#actions .field-error")
    assert note.inner_text() == "Field required"
    assert column_choice.get_attribute("aria-describedby") == note.get_attribute("id")
    column_choice.select_option(next_actions)

    # The preview: the task already on the board would move; nothing is written.
    page.get_by_role("button", name="Preview").click()
    preview = page.locator("#rule-preview")
    until(
        page,
        "document.querySelector('#rule-preview').innerText.includes('match now') || document.querySelector('#rule-form .form-error').innerText",
    )
    assert not page.locator("#rule-form .form-error").inner_text(), page.locator("#rule-form .form-error").inner_text()
    assert "1 of 1 tasks match now" in preview.inner_text(), preview.inner_text()
    assert "Call the bank" in preview.inner_text() and "moved to “Next actions” (bottom)" in preview.inner_text()
    assert api(page, "GET", f"/tasks/{bank['id']}")["columnId"] != next_actions

    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url(re.compile(r"/rules/[0-9a-f-]{36}$"))
    page.get_by_role("heading", name="Calls go to Next actions").wait_for()
    rule = _rule_named(page, "Calls go to Next actions")
    assert rule["conditions"] == [{"field": "title", "operator": "contains", "value": "call"}]
    assert rule["actions"] == [{"type": "move", "config": {"columnId": next_actions, "position": "bottom"}}]

    # The JSON view holds the rule as the form does; what is saved there is the rule.
    page.get_by_text("Edit as JSON").click()
    source = page.get_by_label("The rule as the API takes it")
    assert f'"columnId": "{next_actions}"' in source.input_value()
    source.fill(source.input_value().replace('"priority": 100', '"priority": 50'))
    page.get_by_role("button", name="Save JSON").click()
    page.locator("#r-priority[value='50']").wait_for()  # the page as the server renders the saved rule
    assert _rule_named(page, "Calls go to Next actions")["priority"] == 50

    # The switch turns it off and on again.
    follow(page, "← Rules")
    switch = page.get_by_role("button", name="Enabled: Calls go to Next actions")
    switch.click()
    page.locator(".rule-card.is-off").wait_for()  # after the page reloads
    assert _rule_named(page, "Calls go to Next actions")["enabled"] is False
    page.get_by_role("button", name="Enabled: Calls go to Next actions").click()
    page.locator(".rule-card.is-off").wait_for(state="detached")
    assert _rule_named(page, "Calls go to Next actions")["enabled"] is True

    # A task captured on the board is moved by the rule, and the run is in the rule's history.
    follow(page, "Board")
    _quick_add(page, "Call the plumber")
    plumber = page.locator(".card[data-title='Call the plumber']").get_attribute("data-task-id")
    wait_for_task(page, plumber, f"t.columnId === '{next_actions}'")
    page.goto(f"{base_url}/rules/{rule['id']}")
    deadline = time.monotonic() + 60
    while "Call the plumber" not in page.locator("#rule-runs").inner_text() and time.monotonic() < deadline:
        page.get_by_role("button", name="Refresh").click()  # the run log as it is now, swapped in by htmx
        page.wait_for_timeout(250)
    text = page.locator("#rule-runs").inner_text()
    assert "Call the plumber" in text and "applied" in text and "moved to “Next actions”" in text, text

    # A saved rule's preview runs it now on the tasks that match (the manual run): the bank call moves too.
    page.get_by_role("button", name="Preview").click()
    page.get_by_role("button", name=re.compile("Run the saved rule now on 2 tasks")).click()
    page.locator("#rule-preview").get_by_text("“Preview” shows").wait_for()  # the page reloaded after the run
    wait_for_task(page, bank["id"], f"t.columnId === '{next_actions}'")

    # Every rules page passes axe in both themes, the editor with a preview and a field error shown.
    problems: dict[str, Any] = {}
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        for path in (f"/boards/{board['id']}/rules", f"/rules/{rule['id']}", f"/boards/{board['id']}/rules/new"):
            page.goto(f"{base_url}{path}")
            if path.endswith("/new"):
                page.get_by_role("button", name="Save", exact=True).click()
                page.locator(".field-error").first.wait_for()
            elif path.startswith("/rules/"):
                page.get_by_role("button", name="Preview").click()
                page.get_by_text("tasks match now").wait_for()
            if found := _violations(page):
                problems[f"{scheme} {path}"] = found
    assert not problems, problems

    # On a phone the editor fits the screen's width.
    phone = browser.new_context(viewport={"width": 390, "height": 800}, is_mobile=True, has_touch=True)
    small = phone.new_page()
    small.context.add_cookies(context.cookies())
    small.goto(f"{base_url}/rules/{rule['id']}")
    assert small.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    phone.close()

    # Deleting asks first, then the rule and its history are gone.
    page.goto(f"{base_url}/rules/{rule['id']}")
    page.get_by_role("button", name="Delete this rule").click()
    page.wait_for_url(f"**/boards/{board['id']}/rules")
    assert asked == ["Delete the rule “Calls go to Next actions”? Its run history goes with it."]
    assert page.get_by_text("Calls go to Next actions").count() == 0
    assert not errors, errors
    context.close()

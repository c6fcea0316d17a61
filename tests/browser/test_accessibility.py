"""axe-core (vendored) on every page, light and dark: no serious or critical violation."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import api, sign_up

pytestmark = pytest.mark.e2e


def _violations(page: Any) -> list[dict[str, Any]]:
    page.add_script_tag(url="/static/vendor/axe-core/axe.min.js")
    found = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"][:3]]}
        for v in found
        if v["impact"] in ("serious", "critical")
    ]


def test_every_page_passes_axe_in_both_themes(browser: Any, base_url: str) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    sign_up(page, base_url)
    board_id = page.locator("body").get_attribute("data-board-id")
    task = api(page, "POST", f"/boards/{board_id}/tasks", {"title": "Check contrast", "tags": ["home"],
                                                          "dueAt": "2020-01-01T00:00:00Z", "description": "**bold**"})  # fmt: skip
    api(page, "POST", f"/tasks/{task['id']}/checklist", {"title": "One step"})
    paths = [
        f"/boards/{board_id}", f"/tasks/{task['id']}", f"/boards/{board_id}/clarify",
        f"/boards/{board_id}/search?q=check", f"/boards/{board_id}/settings", "/keys",
    ]  # fmt: skip
    problems: dict[str, Any] = {}
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        for path in paths:
            page.goto(f"{base_url}{path}")
            if found := _violations(page):
                problems[f"{scheme} {path}"] = found
    signed_out = browser.new_context()
    for scheme in ("light", "dark"):
        anonymous = signed_out.new_page()
        anonymous.emulate_media(color_scheme=scheme)
        for path in ("/login", "/signup"):
            anonymous.goto(f"{base_url}{path}")
            if found := _violations(anonymous):
                problems[f"{scheme} {path}"] = found
    signed_out.close()
    context.close()
    assert not problems, problems

"""The board in a browser, walked as a person would, in Debian's headless chromium against the real services.

One API and one Worker process and one browser serve the whole module; each test signs up its own person.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from tests.browser.conftest import (
    PASSWORD,
    api,
    board_of,
    box_of,
    card,
    column,
    drag,
    follow,
    sign_up,
    until,
    wait_for_task,
)

pytestmark = pytest.mark.e2e


def _quick_add(page: Any, *titles: str) -> None:
    page.wait_for_selector("body[data-keys=ready]", state="attached")
    page.keyboard.press("n")
    field = page.get_by_label("What is on your mind?")
    for title in titles:
        field.fill(title)
        field.press("Enter")
        page.get_by_text(f'Added "{title}" to the Inbox').wait_for()
    page.keyboard.press("Escape")


def _clarify_shows(page: Any, left: int) -> None:
    """Each decision reloads the page: its keys work once its script is ready, as a person sees."""
    page.get_by_text(f"{left} left to clarify").wait_for()
    page.wait_for_selector("body[data-keys=ready]", state="attached")


def _task_id(page: Any, title: str) -> str:
    return card(page, title).get_attribute("data-task-id")  # type: ignore[no-any-return]


def test_a_day_with_the_board(browser: Any, base_url: str) -> None:
    context = browser.new_context(viewport={"width": 2100, "height": 900})  # all seven columns in view
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" and "401" not in m.text else None)
    email = sign_up(page, base_url)

    # A context lane for clarify, through the settings page.
    follow(page, "Settings")
    page.get_by_label("New column", exact=True).fill("@Phone")
    page.get_by_role("button", name="Add column").click()
    page.get_by_label("Name of column 7").wait_for()
    follow(page, "Board")

    _quick_add(page, "Call the plumber", "Pay the rent", "Water the plants")
    for title in ("Call the plumber", "Pay the rent", "Water the plants"):
        column(page, "Inbox").locator(f".card[data-title='{title}']").wait_for()

    # Clarify: one into the @Phone lane (key 1), one into Waiting for (key w, who, Enter).
    page.keyboard.press("c")
    _clarify_shows(page, 3)
    page.keyboard.press("1")
    _clarify_shows(page, 2)
    page.keyboard.press("w")
    page.wait_for_function("document.activeElement && document.activeElement.id === 'waiting-for'")
    page.keyboard.type("Landlord")
    page.keyboard.press("Enter")
    _clarify_shows(page, 1)
    page.keyboard.press("b")
    column(page, "@Phone").locator(".card[data-title='Call the plumber']").wait_for()
    column(page, "Waiting for").locator(".card[data-title='Pay the rent']").wait_for()

    # Drag to Done and back: isDone follows.
    plants = _task_id(page, "Water the plants")
    drag(page, card(page, "Water the plants"), column(page, "Done").locator(".column-body"))
    column(page, "Done").locator(".card[data-title='Water the plants']").wait_for()
    wait_for_task(page, plants, "t.isDone === true")
    drag(page, card(page, "Water the plants"), column(page, "Inbox").locator(".column-body"))
    column(page, "Inbox").locator(".card[data-title='Water the plants']").wait_for()
    wait_for_task(page, plants, "t.isDone === false")

    # A WIP limit refuses, the card goes back, the override moves it (and is recorded).
    phone = board_of(page)
    phone_id = next(c["id"] for c in phone["columns"] if c["name"] == "@Phone")
    api(page, "PATCH", f"/columns/{phone_id}", {"wipLimit": 1})
    page.reload()
    page.wait_for_selector("#live-status[data-state=live]", state="attached")
    assert column(page, "@Phone").get_attribute("data-wip") == "at"
    refusal = page.locator("#toasts").get_by_text(re.compile(r'"@Phone" is at its WIP limit \(1\)'))
    for _ in range(3):  # a synthetic drag can miss its first pick-up on a busy machine; a person drags again
        drag(page, card(page, "Water the plants"), column(page, "@Phone").locator(".column-body"))
        try:
            refusal.wait_for(timeout=10_000)
            break
        except Exception:
            continue
    refusal.wait_for()
    column(page, "Inbox").locator(".card[data-title='Water the plants']").wait_for()
    wait_for_task(page, plants, "t.columnType === 'INPUT'")
    page.get_by_role("button", name="Move anyway").click()
    column(page, "@Phone").locator(".card[data-title='Water the plants']").wait_for()
    wait_for_task(page, plants, "t.wipOverride === true")
    assert column(page, "@Phone").get_attribute("data-wip") == "over"

    # A change made through the API in another session shows up live.
    with httpx.Client(base_url=f"{base_url}/api/v1") as other:
        token = other.post("/auth/login", json={"email": email, "password": PASSWORD}).json()["accessToken"]
        rent = _task_id(page, "Pay the rent")
        other.patch(
            f"/tasks/{rent}", json={"title": "Pay the rent today"}, headers={"Authorization": f"Bearer {token}"}
        )
        card(page, "Pay the rent today").wait_for()

        # A task made elsewhere appears; its page gets the Worker's hints without a reload.
        board_id = page.locator("body").get_attribute("data-board-id")
        made = other.post(
            f"/boards/{board_id}/tasks",
            json={"title": "Read the article about sourdough"},
            headers={"Authorization": f"Bearer {token}"},
        ).json()
    card(page, "Read the article about sourdough").wait_for()
    page.goto(f"{base_url}/tasks/{made['id']}")
    page.wait_for_selector("#live-status[data-state=live]", state="attached")
    apply = page.locator("#hints").get_by_role("button", name="Apply").first
    try:
        apply.wait_for(timeout=30_000)
    except Exception as exc:  # say what the API knows, so a failure can be understood
        known = {"analysis": api(page, "GET", f"/tasks/{made['id']}/analysis"),
                 "hints": api(page, "GET", f"/tasks/{made['id']}/hints"),
                 "panel": page.locator("#hints").inner_text()}  # fmt: skip
        raise AssertionError(f"no hint to apply on the task page: {known}") from exc
    # Apply and undo each reload the page when their request is answered; the live stream may show
    # the new state first. Typing into the page before its reload lands would be lost with it.
    with page.expect_navigation():
        apply.click()
    undo = page.locator("#hints").get_by_role("button", name="Undo").first
    undo.wait_for()
    with page.expect_navigation():
        undo.click()
    page.locator("#hints .status-undone").first.wait_for()
    page.wait_for_selector("body[data-keys=ready]", state="attached")

    # The checklist: add an item, tick it.
    # Adding reloads the page; a tick before its scripts run would change only the box, not the item.
    page.get_by_label("New checklist item").fill("Buy flour")
    with page.expect_navigation():
        page.get_by_label("New checklist item").press("Enter")
    page.wait_for_selector("body[data-keys=ready]", state="attached")
    page.get_by_role("checkbox", name="Buy flour").check()
    page.locator(".checklist li.is-done").wait_for()
    page.reload()
    assert page.get_by_role("checkbox", name="Buy flour").is_checked()
    assert "1/1" in page.locator("#checklist-title").inner_text()

    # Log out: a second tab's stream stops too.
    watcher = context.new_page()
    watcher.goto(f"{base_url}/boards/{board_id}")
    watcher.wait_for_selector("#live-status[data-state=live]")
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login")
    watcher.wait_for_selector("#live-status[data-state=offline]", timeout=15_000)
    page.goto(f"{base_url}/boards/{board_id}")
    page.wait_for_url(re.compile(r"/login\?next=/boards/"))
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors
    context.close()


def test_quick_add_keeps_the_next_title_typed_while_the_last_is_saved_and_its_messages_few(
    browser: Any, base_url: str
) -> None:
    context = browser.new_context()
    page = context.new_page()
    sign_up(page, base_url)
    page.wait_for_selector("body[data-keys=ready]", state="attached")
    held: list[Any] = []  # the first capture's request, answered only once the next title is typed

    def hold(route: Any) -> None:
        if held:
            route.continue_()
        else:
            held.append(route)

    inbox_says = (
        "() => getComputedStyle(document.querySelector('.column[data-type=INPUT] .column-body'), '::before').content"
    )
    assert "Press n" in page.evaluate(inbox_says)  # an empty Inbox says how to fill it
    page.route("**/api/v1/capture", hold)
    page.keyboard.press("n")
    field = page.get_by_label("What is on your mind?")
    field.fill("Buy stamps")
    field.press("Enter")
    while not held:
        page.wait_for_timeout(20)
    field.fill("Water the ferns")
    held[0].continue_()
    page.get_by_text('Added "Buy stamps" to the Inbox').wait_for()
    assert field.input_value() == "Water the ferns"
    field.press("Enter")
    page.get_by_text('Added "Water the ferns" to the Inbox').wait_for()
    assert field.input_value() == ""
    for title in ("Call the bank", "Book the train", "Renew the library card"):
        field.fill(title)
        field.press("Enter")
        page.get_by_text(f'Added "{title}" to the Inbox').wait_for()
    # Five captures in a row: the latest messages are on screen, not a wall of five over the board.
    assert page.locator("#toasts > .toast").count() <= 3
    page.keyboard.press("Escape")
    column(page, "Inbox").locator(".card[data-title='Water the ferns']").wait_for()
    column(page, "Inbox").locator(".card[data-title='Buy stamps']").wait_for()
    assert page.evaluate(inbox_says) == "none"
    context.close()


def test_quick_add_shows_what_the_text_means_while_it_is_typed(browser: Any, base_url: str) -> None:
    context = browser.new_context()
    page = context.new_page()
    sign_up(page, base_url)
    page.wait_for_selector("body[data-keys=ready]", state="attached")
    page.keyboard.press("n")
    field = page.get_by_label("What is on your mind?")
    field.press_sequentially("Call Anna fri 3pm @phone for 30 min")  # typed, as the preview follows typing
    preview = page.locator("#quick-add-preview")
    preview.locator("mark[data-kind=due]", has_text="fri 3pm").wait_for()
    preview.locator("mark[data-kind=duration]", has_text="for 30 min").wait_for()
    preview.locator(".chip", has_text="title: Call Anna").wait_for()
    preview.locator(".chip", has_text="@phone").wait_for()
    field.press("Enter")
    page.get_by_text('Added "Call Anna" to the Inbox').wait_for()
    # The field is empty again, and so is what it meant.
    until(page, "document.getElementById('quick-add-preview').childElementCount === 0")
    # A part read wrongly is one click from being text again: the words go back with a backslash each.
    field.press_sequentially("Call mum about Sunday lunch")
    preview.locator("mark[data-kind=due]", has_text="Sunday").wait_for()
    preview.get_by_role("button", name="Keep “Sunday” as text, not as the due").click()
    preview.locator(".chip", has_text="title: Call mum about Sunday lunch").wait_for()
    assert field.input_value() == "Call mum about \\Sunday lunch"
    assert preview.locator("mark").count() == 0
    field.press("Enter")
    page.get_by_text('Added "Call mum about Sunday lunch" to the Inbox').wait_for()
    context.close()


def test_clarify_applies_the_worker_s_suggestion_before_the_decision(browser: Any, base_url: str) -> None:
    context = browser.new_context()
    page = context.new_page()
    sign_up(page, base_url)
    board_id = page.locator("body").get_attribute("data-board-id")
    task = api(page, "POST", f"/boards/{board_id}/tasks", {"title": "Email Sarah the Q3 report"})
    hint_id = ""
    for _ in range(300):  # the Worker's first hints for a new task (a bound, not a speed check)
        hints = api(page, "GET", f"/tasks/{task['id']}/hints")
        hint_id = next((h["id"] for h in hints if h["hintType"] == "context" and h["status"] == "proposed"), "")
        if hint_id:
            break
        page.wait_for_timeout(100)
    assert hint_id, "the Worker proposed no context"
    page.goto(f"{base_url}/boards/{board_id}/clarify")
    page.wait_for_selector("body[data-keys=ready]", state="attached")
    suggestion = page.locator(f"li.hint-item:has(button[data-api='POST /api/v1/hints/{hint_id}/apply'])")
    assert "context: email" in suggestion.inner_text()
    with page.expect_navigation():
        suggestion.get_by_role("button", name="Apply").click()
    page.get_by_text("1 left to clarify").wait_for()
    assert suggestion.count() == 0  # applied: offered no more, and the task is still the one at hand
    wait_for_task(page, task["id"], "t.context === 'EMAIL' && t.columnType === 'INPUT'")
    # The rest of the same proposal (its duration and tags) in one key.
    page.wait_for_selector("body[data-keys=ready]", state="attached")
    assert page.locator("button[data-key=h]").is_visible()
    with page.expect_navigation():
        page.keyboard.press("h")
    applied = [h["hintType"] for h in api(page, "GET", f"/tasks/{task['id']}/hints?status=applied")]
    assert "context" in applied and len(applied) > 1
    context.close()


def test_keyboard_only_moves_announce_and_undo(browser: Any, base_url: str) -> None:
    context = browser.new_context()
    page = context.new_page()
    sign_up(page, base_url)
    _quick_add(page, "First thing", "Second thing")
    column(page, "Inbox").locator(".card").nth(1).wait_for()
    first = _task_id(page, "First thing")
    page.wait_for_selector("body[data-keys=ready]", state="attached")
    page.keyboard.press("j")  # focus the first card
    until(page, "document.activeElement?.dataset.title === 'First thing'")
    page.keyboard.press("Alt+ArrowRight")
    column(page, "Next actions").locator(".card[data-title='First thing']").wait_for()
    until(page, "document.getElementById('announce').textContent.includes('Next actions')")
    wait_for_task(page, first, "t.columnType === 'CONTEXT'")
    until(page, "document.activeElement?.dataset.title === 'First thing'")
    # The menu: m, then a column by keyboard.
    page.keyboard.press("m")
    page.get_by_role("dialog").get_by_role("button", name="Waiting for").focus()
    page.keyboard.press("Enter")
    column(page, "Waiting for").locator(".card[data-title='First thing']").wait_for()
    wait_for_task(page, first, "t.columnType === 'WAITING'")
    until(page, "document.activeElement.dataset.title === 'First thing'")
    # Done with e, undone with u.
    page.keyboard.press("e")
    column(page, "Done").locator(".card[data-title='First thing']").wait_for()
    wait_for_task(page, first, "t.isDone === true")
    page.keyboard.press("u")
    column(page, "Waiting for").locator(".card[data-title='First thing']").wait_for()
    wait_for_task(page, first, "t.isDone === false && t.columnType === 'WAITING'")
    # Delete and undo: the task comes back with its title.
    page.keyboard.press("Delete")
    page.get_by_text('Deleted "First thing"').wait_for()
    page.keyboard.press("Control+z")
    card(page, "First thing").wait_for()
    context.close()


def test_touch_drag_moves_a_card_and_a_swipe_scrolls(browser: Any, base_url: str) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 800}, has_touch=True, is_mobile=True)
    page = context.new_page()
    sign_up(page, base_url)
    _quick_add(page, "Touch me")
    target = card(page, "Touch me")
    target.wait_for()
    task_id = _task_id(page, "Touch me")
    cdp = context.new_cdp_session(page)
    box = box_of(target)
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2

    def touch(kind: str, px: float, py: float) -> None:
        points = [] if kind == "touchEnd" else [{"x": px, "y": py}]
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

    # A quick swipe (no hold) picks nothing up, so the browser keeps it for scrolling.
    touch("touchStart", x, y)
    for step in range(1, 8):
        touch("touchMove", x - step * 40, y)
    touch("touchEnd", x - 280, y)
    page.wait_for_timeout(400)
    assert page.locator(".card-chosen, .sortable-fallback").count() == 0  # no drag began
    wait_for_task(page, task_id, "t.columnType === 'INPUT'")
    page.evaluate("document.getElementById('board').scrollLeft = 0")
    page.wait_for_timeout(200)
    # Hold, then drag down below the card inside the Inbox column: a reorder, not a scroll.
    _quick_add(page, "Second card")
    column(page, "Inbox").locator(".card").nth(1).wait_for()
    page.evaluate("document.getElementById('board').scrollLeft = 0")  # the Inbox in view, as a person scrolls back
    until(page, "document.getElementById('board').scrollLeft === 0")
    target.scroll_into_view_if_needed()
    box = box_of(target)
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    # Wait until nothing covers the card (the quick add's notice, say) where the finger goes down.
    until(page, f"document.elementFromPoint({x}, {y})?.closest('.card')?.dataset.title === 'Touch me'")
    touch("touchStart", x, y)
    # Held past SortableJS's touch delay, the card is picked up; wait for that rather than for a time.
    until(page, "document.querySelector('.card-chosen') !== null")
    for step in range(1, 15):
        touch("touchMove", x, y + step * 10)
        page.wait_for_timeout(30)
    # The card's placeholder has reached the end of the column before the finger lifts.
    until(page, "document.querySelector('.column[data-type=INPUT] .card:last-child').dataset.title === 'Touch me'")
    touch("touchEnd", x, y + 140)
    until(page, "document.querySelector('.column[data-type=INPUT] .card:last-child').dataset.title === 'Touch me'")
    wait_for_task(page, task_id, "t.position === 1")
    context.close()


# ---- accessibility: axe-core (vendored) on every page, light and dark ----


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
                                                          "dueAt": "2020-01-01T00:00:00Z", "description": "**bold**",
                                                          "priority": "HIGH", "durationMinutes": 20})  # fmt: skip
    api(page, "POST", f"/tasks/{task['id']}/checklist", {"title": "One step"})
    for _ in range(300):  # the Worker's first hints, so the task page and clarify show theirs (a bound)
        if proposed := [h for h in api(page, "GET", f"/tasks/{task['id']}/hints") if h["status"] == "proposed"]:
            break
        page.wait_for_timeout(100)
    assert proposed, "no hint to check the contrast of"
    paths = [
        f"/boards/{board_id}", f"/tasks/{task['id']}", f"/boards/{board_id}/clarify",
        f"/boards/{board_id}/search?q=check", f"/boards/{board_id}/settings", "/keys",
        "/capture", "/capture/new?title=Call+Anna+fri+%40phone&url=https%3A%2F%2Fexample.org",
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
    # The API docs: vendored Swagger UI under the same strict CSP, nothing from a CDN.
    docs = signed_out.new_page()
    refused: list[str] = []
    docs.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    docs.goto(f"{base_url}/api/v1/docs")
    docs.locator(".opblock").first.wait_for()
    assert not refused, refused
    signed_out.close()
    context.close()
    assert not problems, problems

"""One system (API + Worker processes on SQLite) and one headless chromium per module, and the moves a person makes."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kanban.db.urls import parse_database_url
from tests.support.browser import CHROMIUM_ARGS, require_browser
from tests.support.processes import System, build_system

pytestmark = pytest.mark.e2e
PASSWORD = "correct horse battery staple"
_people = itertools.count(1)


@pytest.fixture(scope="module")
def chromium_binary() -> str:
    return require_browser()


@pytest.fixture(scope="module")
def system(chromium_binary: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    """The services as they run for a person (`--migrate` makes both SQLite databases)."""
    workdir = tmp_path_factory.mktemp("browser")
    api_db = parse_database_url(f"sqlite:///{workdir / 'api.db'}")
    worker_db = parse_database_url(f"sqlite:///{workdir / 'worker.db'}")
    system = build_system(api_db, worker_db, workdir)
    system.start()
    try:
        yield system
    finally:
        system.stop()


@pytest.fixture(scope="module")
def browser(chromium_binary: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_binary, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def base_url(system: System) -> str:
    return system.api.base_url


def new_email() -> str:
    return f"person{next(_people)}-{id(_people)}@example.test"


def sign_up(page: Any, base_url: str, email: str | None = None) -> str:
    """Creates an account through the pages, as a person would, and lands on the board."""
    email = email or new_email()
    page.goto(f"{base_url}/")
    page.wait_for_url("**/login**")
    follow(page, "Create an account")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url("**/boards/*")
    page.wait_for_selector("#live-status[data-state=live]", state="attached")
    return email


def follow(page: Any, name: str) -> None:
    """Clicks a link and returns once the new page has loaded: its module scripts have run, so a click on
    one of its buttons reaches the handler (a click landing before then would silently do nothing)."""
    with page.expect_navigation():
        page.get_by_role("link", name=name, exact=True).click()


def box_of(locator: Any, timeout: float = 20.0) -> dict[str, float]:
    """The element's box once it has one: a live update may swap the node out just as it is measured."""
    deadline = time.monotonic() + timeout
    while (box := locator.bounding_box()) is None:
        if time.monotonic() > deadline:
            raise AssertionError(f"no box after {timeout} s for {locator}")
        time.sleep(0.05)
    return box  # type: ignore[no-any-return]


def api(page: Any, method: str, path: str, body: Any = None) -> Any:
    """A call from inside the page, with its cookie session and CSRF token, as the page's own code makes it."""
    return page.evaluate(
        """async ([method, path, body]) => {
            const csrf = (document.cookie.split('; ').find(c => c.startsWith('kanban_csrf=')) || '').split('=')[1] || '';
            const response = await fetch(path, {method, headers: {'Content-Type': 'application/json', 'X-CSRF-Token': decodeURIComponent(csrf)},
                body: body === null ? undefined : JSON.stringify(body)});
            return response.status === 204 ? null : response.json();
        }""",
        [method, f"/api/v1{path}", body],
    )


def board_of(page: Any) -> dict[str, Any]:
    board_id = page.locator("body").get_attribute("data-board-id")
    return api(page, "GET", f"/boards/{board_id}")  # type: ignore[no-any-return]


def column(page: Any, name: str) -> Any:
    return page.locator(f".column[data-name='{name}']")


def card(page: Any, title: str) -> Any:
    return page.locator(f".card[data-title='{title}']")


def drag(page: Any, source: Any, target: Any) -> None:
    """A mouse drag in small steps (SortableJS follows pointer events)."""
    source.wait_for()
    until(page, "() => !document.querySelector('.card[style*=transform]')")  # the last drop settled
    start, end = box_of(source), box_of(target)
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    x, y = end["x"] + end["width"] / 2, end["y"] + min(end["height"] - 8, 40)
    for step in range(1, 16):
        page.mouse.move(start["x"] + (x - start["x"]) * step / 15, start["y"] + (y - start["y"]) * step / 15, steps=2)
    page.mouse.up()


def until(page: Any, expression: str, timeout: float = 20.0) -> None:
    """Polls a JS expression until truthy. Not `wait_for_function`: its string predicates need eval,
    which the page's CSP rightly refuses (evaluate runs outside the page's policy)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            toasts = page.evaluate("document.getElementById('toasts')?.innerText || ''")
            raise AssertionError(f"still false after {timeout} s: {expression} (messages: {toasts!r})")
        time.sleep(0.1)


def wait_for_task(page: Any, task_id: str, predicate: str, timeout: float = 20.0) -> None:
    """Polls the API from the page until the task matches (a JS expression over `t`)."""
    until(
        page,
        f"async () => {{ const t = await (await fetch('/api/v1/tasks/{task_id}')).json(); return {predicate}; }}",
        timeout,
    )


AXE = Path(__file__).resolve().parents[2] / "src/kanban/ui/static/vendor/axe-core/axe.min.js"

"""Capture from the browser, in Debian's headless chromium against the real services: the bookmarklet
on a page with its own strict CSP, the installable app's manifest and share target, and the offline
queue whose replays never make a second task.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests.browser.conftest import PASSWORD, api, board_of, follow, sign_up, until

pytestmark = pytest.mark.e2e
SHOTS = os.environ.get("KANBAN_SCREENSHOTS")  # a folder to keep screenshots in, for a person to look at
FOREIGN = "http://foreign.test/article"


def _errors(page: Any) -> list[str]:
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    return errors


def _inbox(page: Any) -> list[dict[str, Any]]:
    board = board_of(page)
    return next(c["tasks"] for c in board["columns"] if c["type"] == "INPUT")  # type: ignore[no-any-return]


def _titled(page: Any, title: str) -> list[dict[str, Any]]:
    return [t for t in _inbox(page) if t["title"] == title]


def _ready(page: Any) -> None:
    page.wait_for_selector("body[data-capture=ready]", state="attached")


def _shot(page: Any, name: str) -> None:
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def test_the_bookmarklet_captures_a_page_with_its_own_strict_csp(browser: Any, base_url: str) -> None:
    context = browser.new_context(viewport={"width": 1100, "height": 800})
    page = context.new_page()
    errors = _errors(page)
    sign_up(page, base_url)
    follow(page, "Capture")
    href = page.locator("#bookmarklet").get_attribute("href")
    assert href.startswith("javascript:") and base_url in href
    _shot(page, "capture-help")

    # Another site, which allows no script of anyone's: the bookmarklet still opens our window.
    article = (
        "<html><head><title>Soil basics fri #garden</title></head><body><p id=p>Compost needs air.</p></body></html>"
    )
    page.route(FOREIGN, lambda route: route.fulfill(
        body=article, content_type="text/html", headers={"Content-Security-Policy": "default-src 'none'"}))  # fmt: skip
    page.goto(FOREIGN)
    page.evaluate("getSelection().selectAllChildren(document.getElementById('p'))")
    with page.expect_popup() as opened:
        page.evaluate(href[len("javascript:") :])  # as a click on the bookmark runs it (outside the page's CSP)
    popup = opened.value
    popup_errors = _errors(popup)
    _ready(popup)
    assert popup.url.startswith(f"{base_url}/capture/new?source=bookmarklet")
    assert popup.get_by_label("What is it?").input_value() == "Soil basics fri #garden"
    assert popup.get_by_label("Link").input_value() == FOREIGN
    assert popup.get_by_label("Note").input_value() == "> Compost needs air."
    # The preview marks what the quick-add syntax recognised.
    popup.locator("#capture-preview mark[data-kind=due]", has_text="fri").wait_for()
    popup.locator("#capture-preview mark[data-kind=tag]", has_text="#garden").wait_for()
    popup.locator("#capture-preview .chip", has_text="title: Soil basics").wait_for()
    _shot(popup, "capture-popup")
    with popup.expect_event("close"):  # opened by the bookmarklet, it closes itself once saved
        popup.get_by_role("button", name="Save to Inbox").click()
        popup.get_by_text("Saved “Soil basics” to the Inbox.").wait_for()

    page.goto(f"{base_url}/")
    [task] = _titled(page, "Soil basics")
    assert task["source"] == "bookmarklet" and [t["name"] for t in task["tags"]] == ["garden"] and task["dueAt"]
    assert task["metadata"]["url"] == FOREIGN and task["description"] == f"{FOREIGN}\n\n> Compost needs air."
    assert not errors and not popup_errors, errors + popup_errors
    context.close()


def test_the_app_is_installable_and_its_share_target_lands_in_capture(browser: Any, base_url: str) -> None:
    context = browser.new_context(viewport={"width": 420, "height": 860}, is_mobile=True, has_touch=True)
    page = context.new_page()
    errors = _errors(page)
    sign_up(page, base_url)
    href = page.locator("link[rel=manifest]").get_attribute("href")
    manifest = page.evaluate(f"fetch('{href}').then(r => r.json())")
    assert manifest["share_target"]["action"] == "/capture/share" and manifest["display"] == "standalone"
    # Chromium's own reading of the manifest: no parse errors, the share target understood.
    cdp = context.new_cdp_session(page)
    read = cdp.send("Page.getAppManifest")
    assert read["url"] == f"{base_url}/manifest.webmanifest" and read["errors"] == [], read["errors"]
    share = read["manifest"][
        "shareTarget"
    ]  # (this CDP version garbles the params it reports; action and method are right)
    assert share["action"] == f"{base_url}/capture/share" and share["method"] == "kGet"
    assert {i["url"].split("?")[0].rsplit("/", 1)[-1] for i in read["manifest"]["icons"]} >= {
        "icon-192.png",
        "icon-512.png",
    }
    until(page, "navigator.serviceWorker.controller !== null", timeout=60)
    # Installable: nothing missing (icons, start URL, worker). A test context is incognito, which Chromium reports too.
    refused = {e["errorId"] for e in cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]}
    assert refused <= {"in-incognito"}, refused

    # What a phone's share sheet opens: a title, and the link inside the text (as Android sends it).
    shared = f"{base_url}/capture/share?title={quote('Bread recipe')}&text={quote('Try this https://example.org/bread soon')}"
    page.goto(shared)
    _ready(page)
    assert page.get_by_label("What is it?").input_value() == "Bread recipe"
    assert page.get_by_label("Link").input_value() == "https://example.org/bread"
    assert page.get_by_label("Note").input_value() == "Try this soon"
    _shot(page, "capture-share-phone")
    page.get_by_role("button", name="Save to Inbox").click()
    page.get_by_text("Saved “Bread recipe” to the Inbox.").wait_for()
    page.locator("#queue-sent li", has_text="Bread recipe").get_by_text(re.compile("^sent ")).wait_for()
    page.goto(f"{base_url}/")
    [task] = _titled(page, "Bread recipe")
    assert task["source"] == "share" and task["metadata"]["url"] == "https://example.org/bread"
    assert not errors, errors
    context.close()


def _controlled(page: Any) -> None:
    """The service worker has installed (shell kept) and controls this page. A page whose load began
    before the worker was active is not claimed by it, so the page loads once more, as on a next visit."""
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()
    until(page, "navigator.serviceWorker.controller !== null", timeout=60)
    until(
        page,
        "caches.keys().then(k => Promise.all(k.map(n => caches.open(n).then(c => c.match('/capture/new'))))).then(f => f.some(Boolean))",
        60,
    )


def test_offline_captures_wait_on_the_device_and_arrive_once(browser: Any, base_url: str) -> None:
    context = browser.new_context(viewport={"width": 1000, "height": 900})
    page = context.new_page()
    sign_up(page, base_url)
    page.goto(f"{base_url}/capture/new")
    _controlled(page)

    context.set_offline(True)
    page.goto(f"{base_url}/capture/new?title={quote('Call Anna fri @phone')}")  # the kept page, offline
    _ready(page)
    assert page.get_by_label("What is it?").input_value() == "Call Anna fri @phone"
    page.get_by_text("No preview without a connection").wait_for()
    page.get_by_role("button", name="Save to Inbox").click()
    page.get_by_text("1 capture waiting to be sent").wait_for()
    page.get_by_text("No connection: kept on this device").wait_for()
    page.get_by_label("What is it?").fill("Buy stamps")
    page.get_by_role("button", name="Save to Inbox").click()
    page.get_by_text("2 captures waiting to be sent").wait_for()
    assert page.locator("#queue-waiting li").count() == 2
    _shot(page, "capture-offline-waiting")

    context.set_offline(False)  # the page's `online` event sends them (Background Sync may too: same keys)
    page.get_by_text("Nothing waiting to be sent.").wait_for(timeout=60_000)
    page.locator("#queue-sent li", has_text="Buy stamps").get_by_text(re.compile("^sent ")).wait_for()
    _shot(page, "capture-back-online")
    page.goto(f"{base_url}/")
    anna, stamps = _titled(page, "Call Anna"), _titled(page, "Buy stamps")
    assert len(anna) == 1 and len(stamps) == 1, (anna, stamps)
    assert anna[0]["context"] == "PHONE" and anna[0]["source"] == "web" and anna[0]["dueAt"]

    # The board's quick add (n) queues the same way while offline.
    page.wait_for_selector("body[data-keys=ready]", state="attached")
    context.set_offline(True)
    page.keyboard.press("n")
    page.get_by_label("What is on your mind?").fill("Water the ferns")
    page.get_by_label("What is on your mind?").press("Enter")
    page.get_by_text('No connection: "Water the ferns" is kept on this device').wait_for()
    page.locator("#quick-add").get_by_text("1 capture waiting to be sent").wait_for()
    context.set_offline(False)
    page.locator(".card[data-title='Water the ferns']").wait_for(timeout=60_000)
    assert len(_titled(page, "Water the ferns")) == 1
    context.close()


def test_a_lost_answer_is_replayed_with_the_same_key_and_makes_one_task(browser: Any, base_url: str) -> None:
    context = browser.new_context()
    page = context.new_page()
    sign_up(page, base_url)
    page.goto(f"{base_url}/capture/new")
    _ready(page)
    reached: list[int] = []

    def lose_the_answer(route: Any) -> None:
        reached.append(route.fetch().status)  # the server gets it and answers...
        route.abort("connectionreset")  # ...but the answer never reaches the page

    context.route("**/api/v1/capture", lose_the_answer)
    page.get_by_label("What is it?").fill("Renew passport")
    page.get_by_role("button", name="Save to Inbox").click()
    page.get_by_text("No connection: kept on this device").wait_for()  # for all the page knows, it never arrived
    page.get_by_text("1 capture waiting to be sent").wait_for()
    assert reached[0] == 201 and set(reached[1:]) <= {200}  # Background Sync may have tried again already
    page.goto(f"{base_url}/")
    assert len(_titled(page, "Renew passport")) == 1  # made once already, unknown to the device

    context.unroute_all(behavior="wait")  # the service worker's Background Sync may be in the handler too
    page.goto(f"{base_url}/capture/new")  # the next page load sends what waits
    page.get_by_text("Nothing waiting to be sent.").wait_for()
    page.locator("#queue-sent li", has_text="Renew passport").wait_for()
    # And once more, as if the device had also lost its note that it was sent.
    replayed = page.evaluate("""async () => {
        const q = await import('/static/js/capture-queue.js');
        const [item] = (await q.all()).filter(i => i.title === 'Renew passport');
        const db = await new Promise(r => { const o = indexedDB.open('kanban-capture', 1); o.onsuccess = () => r(o.result); });
        await new Promise(r => { const tx = db.transaction('captures', 'readwrite');
            tx.objectStore('captures').put({...item, state: 'waiting'}); tx.oncomplete = r; });
        db.close();
        const csrf = decodeURIComponent(document.cookie.split('; ').find(c => c.startsWith('kanban_csrf=')).split('=')[1]);
        return (await q.flush(() => csrf)).map(i => i.status);
    }""")
    assert replayed == [200]
    page.goto(f"{base_url}/")
    [task] = _titled(page, "Renew passport")
    assert task["source"] == "web"
    assert api(page, "GET", f"/tasks/{task['id']}")["title"] == "Renew passport"
    context.close()


def test_a_capture_kept_offline_is_sent_only_for_whoever_made_it(browser: Any, base_url: str) -> None:
    context = browser.new_context()
    page = context.new_page()
    anna = sign_up(page, base_url)
    page.goto(f"{base_url}/capture/new")
    _controlled(page)
    context.set_offline(True)
    page.get_by_label("What is it?").fill("Anna's secret plan")
    page.get_by_role("button", name="Save to Inbox").click()
    page.get_by_text("No connection: kept on this device").wait_for()

    # Anna's session ends while she is offline; Ben signs in on the same browser.
    context.clear_cookies()
    context.set_offline(False)
    sign_up(page, base_url)
    page.goto(f"{base_url}/capture/new")
    page.get_by_role("button", name="Send now").click()
    page.get_by_text("1 capture waiting to be sent").wait_for()
    page.goto(f"{base_url}/")
    assert _titled(page, "Anna's secret plan") == []

    context.clear_cookies()
    page.goto(f"{base_url}/login")
    page.get_by_label("Email").fill(anna)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/boards/*")
    until(page, "import('/static/js/capture-queue.js').then(q => q.all()).then(a => a.every(i => i.state === 'sent'))")
    assert len(_titled(page, "Anna's secret plan")) == 1
    context.close()

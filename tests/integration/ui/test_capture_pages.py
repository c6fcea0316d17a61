"""The capture pages, the manifest and the service worker, over HTTP (no browser), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re

from kanban.ui.capture_routes import SHELL_FILES
from kanban.ui.render import static_url
from tests.integration.api.conftest import ApiHarness

ROOT = "http://test"


def _no_inline_code(html: str) -> None:
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert not re.search(r"\s(style|on[a-z]+)=", html)


async def test_signed_out_the_capture_page_goes_to_sign_in_and_comes_back_with_its_query(api: ApiHarness) -> None:
    answer = await api.client.get(f"{ROOT}/capture/new?source=bookmarklet&title=A%20page&url=https%3A%2F%2Fe.test%2F")
    assert answer.status_code == 303
    assert answer.headers["location"] == (
        "/login?next=/capture/new%3Fsource%3Dbookmarklet%26title%3DA%2520page%26url%3Dhttps%253A%252F%252Fe.test%252F"
    )
    assert (await api.client.get(f"{ROOT}/capture/share?text=hi")).status_code == 303
    assert (await api.client.get(f"{ROOT}/capture")).status_code == 303


async def test_the_capture_page_holds_nothing_personal_and_only_files_the_worker_keeps(api: ApiHarness) -> None:
    me = await api.make_user()
    board = (await api.client.post("/boards", json={"name": "Private board name"}, headers=me)).json()
    for path in ("/capture/new", "/capture/share"):
        answer = await api.client.get(f"{ROOT}{path}?title=Hello", headers=me)
        assert answer.status_code == 200, answer.text
        html = answer.text
        _no_inline_code(html)
        # What the service worker keeps for offline use must not carry the person's data, only whose it is.
        assert "Private board name" not in html and board["id"] not in html
        assert f'data-user-id="{me["X-User-Id"]}"' in html
        assert 'id="capture-form"' in html and 'rel="manifest" href="/manifest.webmanifest"' in html
        used = set(re.findall(r'(?:src|href)="(/static/[^"]+)"', html))
        assert used and used <= {static_url(p) for p in SHELL_FILES}, used - {static_url(p) for p in SHELL_FILES}


async def test_the_capture_help_page_offers_a_bookmarklet_for_this_origin(api: ApiHarness) -> None:
    me = await api.make_user()
    await api.client.get("/boards/default", headers=me)  # made on first use
    answer = await api.client.get(f"{ROOT}/capture", headers=me)
    assert answer.status_code == 200
    _no_inline_code(answer.text)
    link = re.search(r'id="bookmarklet" href="([^"]+)"', answer.text)
    assert link is not None
    code = link.group(1).replace("&#39;", "'").replace("&amp;", "&")
    assert code.startswith("javascript:(function(){") and "http://test/capture/new?source=bookmarklet&popup=1" in code
    assert "encodeURIComponent" in code and "getSelection" in code and "window.open(" in code
    assert 'aria-current="page">Capture</a>' in answer.text


async def test_the_manifest_is_public_installable_and_shares_into_capture(api: ApiHarness) -> None:
    answer = await api.client.get(f"{ROOT}/manifest.webmanifest")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/manifest+json")
    manifest = json.loads(answer.text)
    assert manifest["display"] == "standalone" and manifest["start_url"] == "/" and manifest["name"]
    sizes = {i["sizes"] for i in manifest["icons"] if i["type"] == "image/png"}
    assert {"192x192", "512x512"} <= sizes
    for icon in manifest["icons"]:
        got = await api.client.get(f"{ROOT}{icon['src']}")
        assert got.status_code == 200 and got.headers["content-type"] == icon["type"], icon
        if icon["type"] == "image/png":
            width, height = int.from_bytes(got.content[16:20], "big"), int.from_bytes(got.content[20:24], "big")
            assert f"{width}x{height}" == icon["sizes"]
    share = manifest["share_target"]
    assert share["action"] == "/capture/share" and share["method"] == "GET"
    assert share["params"] == {"title": "title", "text": "text", "url": "url"}


async def test_the_service_worker_is_served_at_the_root_and_caches_no_api_answer(api: ApiHarness) -> None:
    answer = await api.client.get(f"{ROOT}/sw.js")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/javascript")
    assert answer.headers["service-worker-allowed"] == "/" and answer.headers["cache-control"] == "no-cache"
    script = answer.text
    for path in SHELL_FILES:
        assert f'"{static_url(path)}"' in script
    assert f'from "{static_url("js/capture-queue.js")}"' in script
    assert "/api/" not in script  # it answers only pages and static files, never the API
    # Every file it precaches exists, so its install cannot fail on a missing one.
    for path in SHELL_FILES:
        assert (await api.client.get(f"{ROOT}{static_url(path)}")).status_code == 200

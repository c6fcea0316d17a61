"""The linked-page agent summarises the page a task links to, and marks the result untrusted."""

from __future__ import annotations

import pytest

from kanban.worker.agents.base import AgentFailed
from kanban.worker.agents.linked_page import LinkedPageAgent
from kanban.worker.fetching.errors import FetchRefused
from kanban.worker.fetching.page import FetchedPage
from kanban.worker.providers.local import LocalProvider
from tests.unit.worker.conftest import context_for, make_task

ARTICLE = """<!doctype html><html><head>
<title>Ignored when og:title exists</title>
<meta property="og:title" content="The Two-Minute Rule">
<script>var tracking = "Buy now! Subscribe to our newsletter today";</script>
<style>body { color: red }</style></head>
<body>
<nav><a href="/">Home</a> <a href="/blog">Blog</a> Subscribe to our newsletter for weekly tips</nav>
<article>
<h1>The Two-Minute Rule</h1>
<p>The two-minute rule says that if an action takes less than two minutes, you should do it right away.</p>
<p>David Allen introduced the two-minute rule in Getting Things Done as part of processing the inbox.</p>
<p>Deferring a two-minute action costs more time than doing it, because you must track and review it later.</p>
<p>The weather in the author's town was pleasant that spring.</p>
</article>
<footer>Copyright 2026 Example Media. All rights reserved. Cookie settings.</footer>
</body></html>"""


class PagesByUrl:
    """A fetcher that serves canned pages, remembering what it was asked for."""

    def __init__(self, pages: dict[str, FetchedPage | Exception]) -> None:
        self.pages = pages
        self.requested: list[str] = []

    async def fetch(self, url: str) -> FetchedPage:
        self.requested.append(url)
        page = self.pages[url]
        if isinstance(page, Exception):
            raise page
        return page


def page(url: str, body: bytes, content_type: str = "text/html", charset: str | None = "utf-8") -> FetchedPage:
    return FetchedPage(url=url, status=200, content_type=content_type, charset=charset, body=body, truncated=False)


async def test_an_article_is_summarised_from_its_main_text() -> None:
    fetcher = PagesByUrl({"https://example.com/2min": page("https://example.com/final", ARTICLE.encode())})
    task = make_task("Read this", "Found it here: https://example.com/2min.")

    report = await LinkedPageAgent(fetcher).run(context_for(task), LocalProvider())

    (draft,) = report.drafts
    assert fetcher.requested == ["https://example.com/2min"]
    assert draft.hint_type == "summary" and draft.agent_id == "linked-page"
    assert draft.untrusted is True
    assert draft.title == "The Two-Minute Rule"
    assert draft.data == {"url": "https://example.com/final", "contentType": "text/html"}
    assert "two minutes" in (draft.content or "")
    for noise in ("Subscribe", "Copyright", "tracking", "color: red", "weather"):
        assert noise not in (draft.content or "")


async def test_plain_text_pages_are_summarised_and_their_charset_respected() -> None:
    text = (
        "Café opening hours\n"
        "The café on Rua Augusta opens at eight every weekday morning.\n"
        "On weekends the café opens at ten and closes early in the afternoon.\n"
    )
    url = "http://example.org/hours.txt"
    fetcher = PagesByUrl({url: page(url, text.encode("latin-1"), "text/plain", "iso-8859-1")})

    report = await LinkedPageAgent(fetcher).run(context_for(make_task(f"Check {url}")), LocalProvider())

    (draft,) = report.drafts
    assert draft.title == "Café opening hours"
    assert "café on Rua Augusta opens at eight" in (draft.content or "")


async def test_a_pdf_gets_a_short_note_instead_of_a_summary() -> None:
    url = "https://example.com/manual.pdf"
    fetcher = PagesByUrl({url: page(url, b"%PDF-1.7\x00\x01\x02binary", "application/pdf", None)})

    report = await LinkedPageAgent(fetcher).run(context_for(make_task("Manual", url)), LocalProvider())

    (draft,) = report.drafts
    assert draft.untrusted and draft.data == {"url": url, "contentType": "application/pdf"}
    assert "no summary" in (draft.content or "")


async def test_a_refused_fetch_fails_the_agent_with_a_reason_and_no_hint() -> None:
    url = "http://169.254.169.254/latest/meta-data"
    fetcher = PagesByUrl({url: FetchRefused("169.254.169.254 is a link-local address")})

    with pytest.raises(AgentFailed, match="link-local"):
        await LinkedPageAgent(fetcher).run(context_for(make_task(f"Look at {url}")), LocalProvider())


async def test_no_link_means_no_fetch() -> None:
    fetcher = PagesByUrl({})

    report = await LinkedPageAgent(fetcher).run(context_for(make_task("Buy milk", "2 litres")), LocalProvider())

    assert report.drafts == () and fetcher.requested == []


async def test_a_page_with_almost_no_text_gets_no_summary() -> None:
    url = "https://example.com/app"
    body = b"<html><head><title>App</title><script>boot()</script></head><body><div id=root></div></body></html>"
    fetcher = PagesByUrl({url: page(url, body)})

    report = await LinkedPageAgent(fetcher).run(context_for(make_task(f"Try {url}")), LocalProvider())

    assert report.drafts == ()


def test_a_summary_never_starts_with_the_page_heading_glued_to_a_sentence() -> None:
    from kanban.worker.providers.local.summary import summarise
    from kanban.worker.providers.tasks import SummaryRequest

    text = (
        "Sleep and memory: what the research says\nWhy a good night matters for learning new things\n"
        "Sleep helps the brain keep what it learned during the day. Deep sleep replays the day's memories."
    )
    summary = summarise(SummaryRequest(page_title="Sleep and memory: what the research says", text=text)).summary

    assert (
        summary == "Sleep helps the brain keep what it learned during the day. Deep sleep replays the day's memories."
    )

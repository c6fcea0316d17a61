"""The linked-page agent: fetches the first link in a task and proposes a summary of the page.

Everything taken from the page is marked untrusted: it is someone else's text.
"""

from __future__ import annotations

import asyncio

from kanban.contracts.events import HintDraft
from kanban.worker.agents.base import AgentFailed, AgentReport, new_draft
from kanban.worker.agents.context import AgentContext
from kanban.worker.fetching.errors import FetchError
from kanban.worker.fetching.extraction import PageText, extract, plain_text
from kanban.worker.fetching.fetcher import PageFetcher
from kanban.worker.fetching.page import FetchedPage
from kanban.worker.providers.base import Provider
from kanban.worker.providers.local.text import first_url
from kanban.worker.providers.tasks import SUMMARISE, SummaryRequest

# A summary needs the start of a page, and a model's context window is finite.
MAX_PROMPT_CHARS = 12_000
MIN_TEXT_CHARS = 40


class LinkedPageAgent:
    agent_id = "linked-page"
    hint_types = ("summary",)

    def reads(self, ctx: AgentContext) -> object:
        return first_url(ctx.task.title) or first_url(ctx.task.description or "")

    def waits_on_network(self, ctx: AgentContext) -> bool:
        """A task with a link waits for a page: the job runs this agent after the others have proposed."""
        return self.reads(ctx) is not None

    def __init__(self, fetcher: PageFetcher) -> None:
        self._fetcher = fetcher

    async def run(self, ctx: AgentContext, provider: Provider) -> AgentReport:
        url = first_url(ctx.task.title) or first_url(ctx.task.description or "")
        if url is None:
            return AgentReport()
        try:
            page = await self._fetcher.fetch(url)
        except FetchError as exc:
            raise AgentFailed(f"{type(exc).__name__}: {exc}") from None
        data = {"url": page.url, "contentType": page.content_type}
        if not page.is_text:
            note = new_draft(
                self.agent_id,
                "summary",
                0.3,
                content=f"The linked file is {page.content_type}, not a web page; no summary was made.",
                data=data,
                untrusted=True,
            )
            return AgentReport(drafts=(note,), output=data)
        # Parsing up to the fetch cap of hostile HTML is CPU work; keep it off the event loop.
        readable = await asyncio.to_thread(_readable, page)
        if readable is None:
            return AgentReport(output={**data, "summary": None})
        request = SummaryRequest(page_title=readable.title, text=readable.text[:MAX_PROMPT_CHARS])
        answer = await provider.complete(SUMMARISE, request)
        summary = answer.output.summary.strip()
        drafts: tuple[HintDraft, ...] = ()
        if summary:
            drafts = (
                new_draft(
                    self.agent_id,
                    "summary",
                    answer.output.confidence,
                    title=readable.title or None,
                    content=summary,
                    data=data,
                    untrusted=True,
                ),
            )
        output = {**answer.output.model_dump(mode="json"), **data, "truncated": page.truncated}
        return AgentReport(drafts=drafts, provider=answer.provider, output=output)


def _readable(page: FetchedPage) -> PageText | None:
    """The page's text, or None when there is too little of it to summarise."""
    text = extract(page.text()) if page.is_html else plain_text(page.text())
    return text if len(text.text) >= MIN_TEXT_CHARS else None

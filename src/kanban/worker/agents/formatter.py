"""The formatter agent: the description as clean Markdown, proposed only when that changes something."""

from __future__ import annotations

from kanban.contracts.events import HintDraft
from kanban.worker.agents.base import AgentReport, changes_words, new_draft
from kanban.worker.agents.context import AgentContext
from kanban.worker.providers.base import Provider
from kanban.worker.providers.tasks import FORMAT_DESCRIPTION, FormattingRequest


class FormatterAgent:
    agent_id = "formatter"
    hint_types = ("description",)

    def reads(self, ctx: AgentContext) -> object:
        return ctx.task.description

    async def run(self, ctx: AgentContext, provider: Provider) -> AgentReport:
        description = ctx.task.description or ""
        if not description.strip():
            return AgentReport()
        answer = await provider.complete(FORMAT_DESCRIPTION, FormattingRequest(description=description))
        markdown = answer.output.markdown.strip()
        drafts: tuple[HintDraft, ...] = ()
        # Reformatting that leaves the words as they were is not worth a person's attention.
        if markdown and changes_words(markdown, description):
            drafts = (new_draft(self.agent_id, "description", answer.output.confidence, content=markdown),)
        return AgentReport(drafts=drafts, provider=answer.provider, output=answer.output.model_dump(mode="json"))

"""The tagger agent: tags from the board's vocabulary first, new ones only when none fits."""

from __future__ import annotations

from kanban.worker.agents.base import AgentReport, new_draft
from kanban.worker.agents.context import AgentContext
from kanban.worker.providers.base import Provider
from kanban.worker.providers.tasks import SUGGEST_TAGS, TagsRequest


class TaggerAgent:
    agent_id = "tagger"
    hint_types = ("tags",)

    def reads(self, ctx: AgentContext) -> object:
        return [ctx.task.title, ctx.task.description, sorted(ctx.task.tags), sorted(ctx.board_tags)]

    async def run(self, ctx: AgentContext, provider: Provider) -> AgentReport:
        task = ctx.task
        request = TagsRequest(title=task.title, description=task.description or "", vocabulary=list(ctx.board_tags))
        answer = await provider.complete(SUGGEST_TAGS, request)
        # Map answers onto the vocabulary's own spelling; never repeat a tag the task has.
        vocabulary = {tag.casefold(): tag for tag in ctx.board_tags}
        taken = {tag.casefold() for tag in task.tags}
        tags: list[str] = []
        new: list[str] = []
        for name in [*answer.output.tags, *answer.output.new]:
            key = name.strip().casefold()
            if not key or key in taken:
                continue
            taken.add(key)
            if key in vocabulary:
                tags.append(vocabulary[key])
            else:
                new.append(name.strip().lower())
        if tags:
            new = []  # a new tag is only worth it when nothing the board already uses fits
        drafts = (
            (new_draft(self.agent_id, "tags", answer.output.confidence, data={"tags": tags, "new": new}),)
            if tags or new
            else ()
        )
        return AgentReport(drafts=drafts, provider=answer.provider, output=answer.output.model_dump(mode="json"))

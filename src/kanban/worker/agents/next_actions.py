"""The next-actions agent: a checklist of concrete actions drawn from the description (or steps the title lists)."""

from __future__ import annotations

import re

from kanban.worker.agents.base import AgentReport, new_draft
from kanban.worker.agents.context import AgentContext
from kanban.worker.providers.base import Provider
from kanban.worker.providers.local.actions import is_trivial, lists_steps
from kanban.worker.providers.tasks import NEXT_ACTIONS, ActionsRequest


class NextActionsAgent:
    agent_id = "next-actions"
    hint_types = ("actions",)

    def reads(self, ctx: AgentContext) -> object:
        return [ctx.task.title, ctx.task.description, list(ctx.task.checklist)]

    async def run(self, ctx: AgentContext, provider: Provider) -> AgentReport:
        task = ctx.task
        if not (task.description or "").strip() and not lists_steps(task.title):
            return AgentReport()
        answer = await provider.complete(
            NEXT_ACTIONS, ActionsRequest(title=task.title, description=task.description or "")
        )
        # Whoever answered, the checklist never gets trivial steps or items it already has.
        known = {_key(item) for item in task.checklist}
        items: list[str] = []
        for item in (i.strip() for i in answer.output.items):
            if item and not is_trivial(item) and _key(item) not in known:
                known.add(_key(item))
                items.append(item)
        drafts = (
            (new_draft(self.agent_id, "actions", answer.output.confidence, data={"items": items}),) if items else ()
        )
        return AgentReport(drafts=drafts, provider=answer.provider, output=answer.output.model_dump(mode="json"))


def _key(text: str) -> str:
    return re.sub(r"[^\w]+", " ", text.casefold()).strip()

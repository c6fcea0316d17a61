"""The duplicates agent: open tasks on the same board that ask for the same thing."""

from __future__ import annotations

from kanban.contracts.events import HintDraft
from kanban.worker.agents.base import AgentReport, new_draft
from kanban.worker.agents.context import AgentContext
from kanban.worker.providers.base import Provider
from kanban.worker.providers.local.similarity import similarity
from kanban.worker.providers.tasks import FIND_DUPLICATES, Candidate, DuplicatesRequest

MAX_CANDIDATES = 10
# Candidates are pre-selected loosely, so a model sees few tasks and the local rule the likely ones.
CANDIDATE_FLOOR = 0.2


class DuplicatesAgent:
    agent_id = "duplicates"
    hint_types = ("duplicate",)

    def reads(self, ctx: AgentContext) -> object:
        return [ctx.task.title, ctx.task.description]

    async def run(self, ctx: AgentContext, provider: Provider) -> AgentReport:
        task = ctx.task
        description = task.description or ""
        others = [
            (similarity(task.title, description, other.title, other.description or ""), other)
            for other in ctx.open_tasks
            if other.task_id != task.task_id and other.board_id == task.board_id and not other.is_done
        ]
        likely = sorted((pair for pair in others if pair[0] >= CANDIDATE_FLOOR), key=lambda p: p[0], reverse=True)
        if not likely:
            return AgentReport()
        by_id = {other.task_id: other for _, other in likely[:MAX_CANDIDATES]}
        request = DuplicatesRequest(
            title=task.title,
            description=description,
            candidates=[
                Candidate(task_id=o.task_id, title=o.title, description=o.description or "") for o in by_id.values()
            ],
        )
        answer = await provider.complete(FIND_DUPLICATES, request)
        matches = [m for m in answer.output.matches if m.task_id in by_id]  # a model may invent ids
        drafts: tuple[HintDraft, ...] = ()
        if matches:
            best = max(m.score for m in matches)
            data = {"taskIds": [m.task_id for m in matches], "titles": [by_id[m.task_id].title for m in matches]}
            drafts = (new_draft(self.agent_id, "duplicate", best, data=data),)
        return AgentReport(drafts=drafts, provider=answer.provider, output=answer.output.model_dump(mode="json"))

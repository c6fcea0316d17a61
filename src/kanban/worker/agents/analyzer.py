"""The analyzer agent: context, priority, duration, whether to break the task down, and a cleaner title."""

from __future__ import annotations

from kanban.contracts.events import HintDraft, TaskState
from kanban.worker.agents.base import AgentReport, changes_words, new_draft
from kanban.worker.agents.context import AgentContext, Clock, SystemClock
from kanban.worker.providers.base import Provider
from kanban.worker.providers.tasks import ANALYSE, Analysis, AnalysisRequest


class AnalyzerAgent:
    agent_id = "analyzer"
    hint_types = ("context", "priority", "duration", "needs-breakdown", "title")

    def __init__(self, clock: Clock | None = None) -> None:
        self._clock = clock or SystemClock()

    def reads(self, ctx: AgentContext) -> object:
        # Not the column: a move is not worth a new analysis, so the Someday rule applies when one runs.
        return [ctx.task.title, ctx.task.description, ctx.task.due_at]

    async def run(self, ctx: AgentContext, provider: Provider) -> AgentReport:
        task = ctx.task
        request = AnalysisRequest(
            title=task.title,
            description=task.description or "",
            column_type=task.column_type,
            due_at=task.due_at,
            now=self._clock.now(),
        )
        answer = await provider.complete(ANALYSE, request)
        return AgentReport(
            drafts=tuple(self._drafts(task, answer.output)),
            provider=answer.provider,
            output=answer.output.model_dump(mode="json"),
        )

    def _drafts(self, task: TaskState, analysis: Analysis) -> list[HintDraft]:
        drafts = []
        # A hint that repeats what the task already says is noise, so each one is skipped then.
        if analysis.context and analysis.context != task.context:
            drafts.append(self._draft("context", analysis.context_confidence, {"context": analysis.context}))
        if analysis.priority and analysis.priority != task.priority:
            drafts.append(self._draft("priority", analysis.priority_confidence, {"priority": analysis.priority}))
        if analysis.duration_minutes and analysis.duration_minutes != task.duration_minutes:
            drafts.append(self._draft("duration", analysis.duration_confidence, {"minutes": analysis.duration_minutes}))
        if analysis.needs_breakdown is not None and analysis.needs_breakdown != task.needs_breakdown:
            drafts.append(
                self._draft(
                    "needs-breakdown", analysis.needs_breakdown_confidence, {"needsBreakdown": analysis.needs_breakdown}
                )
            )
        title = (analysis.title or "").strip()
        if title and changes_words(title, task.title):
            drafts.append(new_draft(self.agent_id, "title", analysis.title_confidence, content=title))
        return drafts

    def _draft(self, hint_type: str, confidence: float, data: dict[str, object]) -> HintDraft:
        return new_draft(self.agent_id, hint_type, confidence, data=dict(data))

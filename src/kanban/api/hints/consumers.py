"""The Worker's events about hints and analysis, as the API consumes them (inside the inbox transaction)."""

from __future__ import annotations

from kanban.api.hints.handlers import record_failed_analysis, store_proposed_hints
from kanban.api.realtime.hub import RealtimeHub
from kanban.contracts import events as ev
from kanban.contracts.base import Event
from kanban.contracts.envelope import Envelope
from kanban.messaging.inbox import Handler
from kanban.messaging.unit_of_work import UnitOfWork


def hint_event_handlers(realtime: RealtimeHub) -> dict[str, Handler]:
    async def proposed(event: Event, _: Envelope, uow: UnitOfWork) -> None:
        assert isinstance(event, ev.HintsProposedV1 | ev.HintsProposedV2)
        await store_proposed_hints(event, uow, realtime)

    async def progress(event: Event, _: Envelope, uow: UnitOfWork) -> None:
        assert isinstance(event, ev.AgentProgressV1)
        data = {
            "taskId": event.task_id,
            "jobId": event.job_id,
            "stage": event.stage,
            "percent": event.percent,
            "status": event.status,
        }
        realtime.publish_after_commit(uow, event.board_id, "agent.progress", data)

    async def failed(event: Event, _: Envelope, uow: UnitOfWork) -> None:
        assert isinstance(event, ev.AnalysisFailedV1)
        await record_failed_analysis(event, uow)
        data = {"taskId": event.task_id, "jobId": event.job_id, "error": event.error}
        realtime.publish_after_commit(uow, event.board_id, "analysis.failed", data)

    return {
        ev.HintsProposedV1.TYPE: proposed,
        ev.AgentProgressV1.TYPE: progress,
        ev.AnalysisFailedV1.TYPE: failed,
    }

"""The events the Worker consumes (from the API), by type."""

from __future__ import annotations

from kanban.contracts.base import Event
from kanban.contracts.envelope import Envelope
from kanban.messaging.inbox import Handler
from kanban.messaging.unit_of_work import UnitOfWork
from kanban.messaging.wakeup import Wakeup
from kanban.settings import Settings
from kanban.worker.accounts.handlers import account_handlers
from kanban.worker.jobs.handlers import job_handlers
from kanban.worker.snapshots.handlers import reference_handlers, task_handlers


def _waking(handler: Handler, jobs_queued: Wakeup) -> Handler:
    """After the handler's transaction commits, wake the job runner: it may have queued a job."""

    async def handle(event: Event, envelope: Envelope, uow: UnitOfWork) -> None:
        await handler(event, envelope, uow)
        uow.after_commit(jobs_queued.signal)

    return handle


# Only these can queue a job; waking the runner for the others (tags, acknowledgements) costs a claim for nothing.
_QUEUING = frozenset({"task.created", "task.snapshotted", "task.updated", "analysis.requested"})


def worker_event_handlers(settings: Settings, jobs_queued: Wakeup | None = None) -> dict[str, Handler]:
    handlers: dict[str, Handler] = {}
    handlers |= task_handlers(settings.job_debounce_seconds)
    handlers |= reference_handlers()
    handlers |= job_handlers()
    handlers |= account_handlers()
    if jobs_queued is None:
        return handlers
    return {
        event_type: _waking(handler, jobs_queued) if event_type in _QUEUING else handler
        for event_type, handler in handlers.items()
    }

"""The events the Worker consumes (from the API), by type."""

from __future__ import annotations

from kanban.messaging.inbox import Handler
from kanban.settings import Settings
from kanban.worker.jobs.handlers import job_handlers
from kanban.worker.snapshots.handlers import reference_handlers, task_handlers


def worker_event_handlers(settings: Settings) -> dict[str, Handler]:
    handlers: dict[str, Handler] = {}
    handlers |= task_handlers(settings.job_debounce_seconds)
    handlers |= reference_handlers()
    handlers |= job_handlers()
    return handlers

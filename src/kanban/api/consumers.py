"""The events the API consumes (from the Worker), by type. Each handler runs inside the inbox's transaction."""

from __future__ import annotations

from kanban.messaging.inbox import Handler


def api_event_handlers() -> dict[str, Handler]:
    handlers: dict[str, Handler] = {}
    return handlers

"""The events the API consumes (from the Worker), by type. Each handler runs inside the inbox's transaction."""

from __future__ import annotations

from kanban.api.hints.consumers import hint_event_handlers
from kanban.api.realtime.hub import RealtimeHub
from kanban.messaging.inbox import Handler


def api_event_handlers(realtime: RealtimeHub | None = None) -> dict[str, Handler]:
    handlers: dict[str, Handler] = {}
    handlers |= hint_event_handlers(realtime or RealtimeHub())
    return handlers

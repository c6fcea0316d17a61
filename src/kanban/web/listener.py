"""The uvicorn options every HTTP listener of the services shares."""

from __future__ import annotations

from typing import Any

LISTENER_OPTIONS: dict[str, Any] = {
    "log_config": None,  # the services configure logging themselves (kanban.web.logging)
    "proxy_headers": False,  # the API trusts KANBAN_TRUSTED_PROXIES itself (kanban.web.proxies)
    "server_header": False,
    "ws": "none",  # no route speaks WebSocket (live updates are server-sent events): no protocol loaded
}

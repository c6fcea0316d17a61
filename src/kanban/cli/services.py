"""`kanban api` and `kanban worker`: run one service in the foreground."""

from __future__ import annotations

import argparse
import contextlib
import socket
from collections.abc import Callable, Iterator

import uvicorn

from kanban.cli.event_loop import run_service
from kanban.cli.schema_gate import ensure_schema_at_head_apart
from kanban.settings import Settings, load_settings
from kanban.web.listener import LISTENER_OPTIONS
from kanban.web.logging import configure_logging
from kanban.web.unused_imports import leave_out_unused_imports

# How long a stopping API waits for responses still being written before it cancels them; open board
# streams are ended before this wait starts, so it only bounds a slow ordinary response.
GRACEFUL_SHUTDOWN_SECONDS = 3


class ApiServer(uvicorn.Server):
    """uvicorn's server, ending the board streams as soon as shutdown begins (see RealtimeHub.end_streams).

    With `own_signals=False` it leaves SIGINT and SIGTERM to its host (`kanban serve` stops both
    services on one signal) and stops when `should_exit` is set.
    """

    def __init__(self, config: uvicorn.Config, on_shutdown: Callable[[], None], own_signals: bool = True) -> None:
        super().__init__(config)
        self._on_shutdown = on_shutdown
        self._own_signals = own_signals

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        if not self._own_signals:
            yield
            return
        with super().capture_signals():
            yield

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        self._on_shutdown()
        await super().shutdown(sockets)


def api_server(settings: Settings, own_signals: bool = True) -> ApiServer:
    """The API application built from `settings`, in a server listening where they say."""
    from kanban.api.app import create_app

    app = create_app(settings)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        access_log=False,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        **LISTENER_OPTIONS,
    )
    return ApiServer(config, app.state.services.realtime.end_streams, own_signals)


def run_api(args: argparse.Namespace) -> int:
    leave_out_unused_imports()
    settings = load_settings("api")
    configure_logging(settings.log_level, "api")
    ensure_schema_at_head_apart("api", settings.database, args.migrate)
    if args.workers > 1:
        # Several processes share the port; the API is stateless and leases keep one relay and one
        # inbox processor active among them.
        uvicorn.run(
            "kanban.api.asgi:app_from_environment",
            factory=True,
            workers=args.workers,
            host=settings.host,
            port=settings.port,
            access_log=False,
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
            **LISTENER_OPTIONS,
        )
        return 0
    run_service(api_server(settings).serve())
    return 0


def run_worker(args: argparse.Namespace) -> int:
    leave_out_unused_imports()
    settings = load_settings("worker")
    configure_logging(settings.log_level, "worker")
    ensure_schema_at_head_apart("worker", settings.database, args.migrate)
    from kanban.worker.service import serve_worker

    run_service(serve_worker(settings))
    return 0


def add_commands(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    api = subparsers.add_parser(
        "api", help="run the API service (HTTP on KANBAN_HOST:KANBAN_API_PORT or KANBAN_PORT, default 127.0.0.1:8000)"
    )
    api.add_argument("--migrate", action="store_true", help="upgrade the API database to head before starting")
    api.add_argument("--workers", type=int, default=1, help="API processes sharing the port (default 1)")
    api.set_defaults(func=run_api)
    worker = subparsers.add_parser("worker", help="run the Worker service (health listener on 127.0.0.1:8001)")
    worker.add_argument("--migrate", action="store_true", help="upgrade the Worker database to head before starting")
    worker.set_defaults(func=run_worker)

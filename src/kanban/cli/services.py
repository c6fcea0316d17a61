"""`kanban api` and `kanban worker`: run one service in the foreground."""

from __future__ import annotations

import argparse
import asyncio

import uvicorn

from kanban.cli.checks import ensure_schema_at_head
from kanban.settings import load_settings
from kanban.web.logging import configure_logging


def run_api(args: argparse.Namespace) -> int:
    settings = load_settings("api")
    configure_logging(settings.log_level, "api")
    ensure_schema_at_head("api", settings.database, args.migrate)
    if args.workers > 1:
        # Several processes share the port; the API is stateless and leases keep one relay and one
        # inbox processor active among them.
        uvicorn.run(
            "kanban.api.asgi:app_from_environment",
            factory=True,
            workers=args.workers,
            host=settings.host,
            port=settings.port,
            log_config=None,
            access_log=False,
            proxy_headers=False,  # the app trusts KANBAN_TRUSTED_PROXIES itself (kanban.web.proxies)
            server_header=False,
        )
        return 0
    from kanban.api.app import create_app

    config = uvicorn.Config(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        proxy_headers=False,
        server_header=False,
    )
    asyncio.run(uvicorn.Server(config).serve())
    return 0


def run_worker(args: argparse.Namespace) -> int:
    settings = load_settings("worker")
    configure_logging(settings.log_level, "worker")
    ensure_schema_at_head("worker", settings.database, args.migrate)
    from kanban.worker.service import serve_worker

    asyncio.run(serve_worker(settings))
    return 0


def add_commands(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    api = subparsers.add_parser(
        "api", help="run the API service (HTTP on KANBAN_HOST:KANBAN_PORT, default 127.0.0.1:8000)"
    )
    api.add_argument("--migrate", action="store_true", help="upgrade the API database to head before starting")
    api.add_argument("--workers", type=int, default=1, help="API processes sharing the port (default 1)")
    api.set_defaults(func=run_api)
    worker = subparsers.add_parser("worker", help="run the Worker service (health listener on 127.0.0.1:8001)")
    worker.add_argument("--migrate", action="store_true", help="upgrade the Worker database to head before starting")
    worker.set_defaults(func=run_worker)

"""`kanban serve`: the API and the Worker in one process, as `kanban up` runs them on the embedded default.

Each service keeps what it has as a process of its own: its settings, its database and engine, its
relay and inbox, its HTTP listener; events still cross between them only over the http transport
(loopback), never through a shared connection or object. What they share is the interpreter and
the libraries both import (Python, FastAPI/Starlette, pydantic, SQLAlchemy, uvicorn: about 60 MiB
held once instead of twice). One signal stops both; when either service ends on its own (it could
not start, or it failed), the other is stopped too and the process exits non-zero, so the
supervisor of `kanban up` restarts the pair. See docs/adr/XXXX-one-process-for-the-embedded-default.md.
"""

from __future__ import annotations

import argparse
import asyncio
import signal

from kanban.cli.errors import CliError
from kanban.cli.schema_gate import ensure_schema_at_head_apart
from kanban.cli.services import api_server, leave_out_httpx_command_line
from kanban.settings import Settings, load_settings
from kanban.web.logging import configure_logging


async def serve_both(api_settings: Settings, worker_settings: Settings) -> None:
    """Run both services until SIGTERM or SIGINT; raise CliError when one of them ended by itself."""
    from kanban.worker.service import serve_worker

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    api = api_server(api_settings, own_signals=False)
    services = {
        asyncio.create_task(api.serve(), name="api"): "API",
        asyncio.create_task(serve_worker(worker_settings, stop=stop), name="worker"): "Worker",
    }
    asked = asyncio.create_task(stop.wait(), name="stop-requested")
    done, _ = await asyncio.wait([*services, asked], return_when=asyncio.FIRST_COMPLETED)
    ended = [name for task, name in services.items() if task in done]
    stop.set()
    api.should_exit = True
    outcomes = await asyncio.gather(*services, return_exceptions=True)
    if ended and not asked.done():
        reasons = [f"{name}: {outcome!r}" for name, outcome in zip(services.values(), outcomes, strict=True) if outcome]
        raise CliError(f"the {ended[0]} service stopped by itself; stopping both ({'; '.join(reasons) or 'no error'})")
    asked.cancel()


def run_serve(args: argparse.Namespace) -> int:
    leave_out_httpx_command_line()
    api_settings, worker_settings = load_settings("api"), load_settings("worker")
    configure_logging(api_settings.log_level, "api+worker")
    ensure_schema_at_head_apart("api", api_settings.database, args.migrate)
    ensure_schema_at_head_apart("worker", worker_settings.database, args.migrate)
    asyncio.run(serve_both(api_settings, worker_settings))
    return 0


def add_commands(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    cmd = subparsers.add_parser(
        "serve", help="run the API and the Worker in one process (KANBAN_API_PORT and KANBAN_WORKER_PORT)"
    )
    cmd.add_argument("--migrate", action="store_true", help="upgrade both databases to head before starting")
    cmd.set_defaults(func=run_serve)

"""`kanban serve`: the API and the Worker in one process, as `kanban up` runs them on the embedded default.

Each service keeps what it has as a process of its own: its settings, its database and engine, its
relay and inbox, its HTTP listener; events still cross between them only over the http transport
(loopback), never through a shared connection or object. What they share is the interpreter and
the libraries both import (Python, FastAPI/Starlette, pydantic, SQLAlchemy, uvicorn: about 60 MiB
held once instead of twice). The Worker runs on its own event loop in a thread. One signal stops both; when either service ends on its own (it could
not start, or it failed), the other is stopped too and the process exits non-zero, so the
supervisor of `kanban up` restarts the pair. See docs/adr/0031-one-process-for-the-embedded-default.md.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import threading

from kanban.cli.errors import CliError
from kanban.cli.event_loop import run_service
from kanban.cli.schema_gate import ensure_schema_at_head_apart
from kanban.cli.services import api_server
from kanban.settings import Settings, load_settings
from kanban.web.logging import configure_logging
from kanban.web.unused_imports import leave_out_unused_imports


class _WorkerThread(threading.Thread):
    """The Worker on its own event loop in its own thread.

    Its hint agents compute in the event loop (lemmatising, fuzzy matching); on the API's loop they
    would hold up its requests and its inbox during a burst of writes. In a thread, the interpreter
    hands over between the two every few milliseconds, as the scheduler would between two processes.
    """

    def __init__(self, settings: Settings, host: asyncio.AbstractEventLoop, ended: asyncio.Event) -> None:
        super().__init__(name="worker", daemon=True)
        self._settings, self._host, self._ended = settings, host, ended
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            run_service(self._serve())
        except BaseException as exc:  # reported to the host, which stops the API and exits non-zero
            self.error = exc
        finally:
            self._ready.set()
            self._host.call_soon_threadsafe(self._ended.set)

    async def _serve(self) -> None:
        from kanban.worker.service import serve_worker

        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        self._ready.set()
        await serve_worker(self._settings, stop=self._stop)

    def request_stop(self) -> None:
        self._ready.wait()
        if self._loop is not None and self._stop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._stop.set)


async def serve_both(api_settings: Settings, worker_settings: Settings) -> None:
    """Run both services until SIGTERM or SIGINT; raise CliError when one of them ended by itself."""
    stop, worker_ended = asyncio.Event(), asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    api = api_server(api_settings, own_signals=False)
    worker = _WorkerThread(worker_settings, loop, worker_ended)
    worker.start()
    api_task = asyncio.create_task(api.serve(), name="api")
    waits = [api_task, asyncio.create_task(worker_ended.wait()), asyncio.create_task(stop.wait())]
    await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    asked = stop.is_set()
    ended = "API" if api_task.done() else "Worker"
    api.should_exit = True
    worker.request_stop()
    api_outcome = (await asyncio.gather(api_task, return_exceptions=True))[0]
    await worker_ended.wait()
    for task in waits:
        task.cancel()
    if not asked:
        reasons = [
            f"{name}: {outcome!r}" for name, outcome in (("API", api_outcome), ("Worker", worker.error)) if outcome
        ]
        raise CliError(f"the {ended} service stopped by itself; stopping both ({'; '.join(reasons) or 'no error'})")


def run_serve(args: argparse.Namespace) -> int:
    leave_out_unused_imports()
    api_settings, worker_settings = load_settings("api"), load_settings("worker")
    configure_logging(api_settings.log_level, "api+worker")
    ensure_schema_at_head_apart("api", api_settings.database, args.migrate)
    ensure_schema_at_head_apart("worker", worker_settings.database, args.migrate)
    run_service(serve_both(api_settings, worker_settings))
    return 0


def add_commands(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    cmd = subparsers.add_parser(
        "serve", help="run the API and the Worker in one process (KANBAN_API_PORT and KANBAN_WORKER_PORT)"
    )
    cmd.add_argument("--migrate", action="store_true", help="upgrade both databases to head before starting")
    cmd.set_defaults(func=run_serve)

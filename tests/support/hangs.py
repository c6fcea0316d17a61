"""What a test was waiting on, printed shortly before pytest-timeout stops it.

pytest-timeout prints the threads' stacks, and a hung async test's only thread is the event loop
waiting in select(): the coroutines that wait are not on any thread's stack. This prints every
pending asyncio task's stack, and what PostgreSQL's client sessions are doing (a lock wait shows
there and nowhere else), from a timer thread while the loop is still blocked.
"""

from __future__ import annotations

import asyncio
import gc
import io
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import asyncpg

from tests.support.servers import PG_ADMIN_URL, postgres_reachable

# Seconds before the test's timeout at which the report is printed.
AHEAD = 20.0


@contextmanager
def reported_before(timeout: float | None) -> Iterator[None]:
    """Within the block, print a hang report once `timeout - AHEAD` seconds have passed."""
    if not timeout or timeout <= AHEAD:
        yield
        return
    timer = threading.Timer(timeout - AHEAD, _report)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()


def _report() -> None:
    out = io.StringIO()
    out.write(f"\n{'+' * 20} pending asyncio tasks, {AHEAD:.0f} s before the timeout {'+' * 20}\n")
    for task in _pending_tasks():
        out.write(f"--- {task!r}\n")
        task.print_stack(limit=30, file=out)
    if postgres_reachable():
        out.write(f"{'+' * 20} PostgreSQL client sessions {'+' * 20}\n")
        try:
            for row in asyncio.run(_sessions()):
                out.write(f"{dict(row)}\n")
        except Exception as exc:  # noqa: BLE001 - a report, not a check: say why it is missing
            out.write(f"(could not read pg_stat_activity: {exc})\n")
    sys.stdout.write(out.getvalue())
    sys.stdout.flush()


def _pending_tasks() -> list[asyncio.Task[object]]:
    # The loop's own registry is not safe to read from another thread; the garbage collector's
    # view of live objects is, and the blocked loop is not changing them.
    return [obj for obj in gc.get_objects() if isinstance(obj, asyncio.Task) and not obj.done()]


async def _sessions() -> list[asyncpg.Record]:
    conn = await asyncpg.connect(PG_ADMIN_URL, timeout=5)
    try:
        return await conn.fetch(
            "SELECT pid, datname, state, wait_event_type, wait_event, pg_blocking_pids(pid) AS blocked_by, "
            "now() - xact_start AS in_transaction, left(query, 160) AS query FROM pg_stat_activity "
            "WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() ORDER BY pid"
        )
    finally:
        await conn.close()

"""A service's start-up schema check, run in a forked child so Alembic does not stay in the service.

Checking (or upgrading) the schema imports Alembic and loads every migration script: about 14 MiB
that a long-running service would keep for nothing. The check runs in a child forked before the
service imports its application (one thread, no event loop yet), which exits with its verdict; the
service process never imports Alembic.
"""

from __future__ import annotations

import os

from kanban.cli.errors import CliError
from kanban.db.urls import DatabaseUrl


def ensure_schema_at_head_apart(service: str, db: DatabaseUrl, migrate: bool) -> None:
    """kanban.cli.checks.ensure_schema_at_head, in a child; its failure is raised here as a CliError."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: check, write the failure (if any) to the pipe, and leave without cleanup
        os.close(read_end)
        os._exit(_check_in_child(service, db, migrate, write_end))
    os.close(write_end)
    with os.fdopen(read_end, "rb") as verdict:
        message = verdict.read().decode(errors="replace")
    code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    if code != 0:
        raise CliError(message or f"the schema check of the {service} database failed (exit {code})", code)


def _check_in_child(service: str, db: DatabaseUrl, migrate: bool, write_end: int) -> int:
    with os.fdopen(write_end, "wb") as verdict:
        try:
            from kanban.cli.checks import ensure_schema_at_head

            ensure_schema_at_head(service, db, migrate)
            return 0
        except CliError as exc:
            verdict.write(str(exc).encode())
            return exc.exit_code
        except BaseException as exc:  # the child's only boundary: anything else still ends as one line
            verdict.write(f"{type(exc).__name__}: {exc}".encode())
            return 1

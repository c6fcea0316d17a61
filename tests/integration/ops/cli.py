"""Running `kanban migrate` as an operator does: a separate process, its exit code and its output."""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass

from kanban.db.urls import DatabaseUrl

COMMAND = [sys.executable, "-m", "kanban.cli.main", "migrate"]


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str


def url(db: DatabaseUrl) -> str:
    return db.url.render_as_string(hide_password=False)


async def start(*args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        *COMMAND, *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )


async def migrate(*args: str) -> Result:
    process = await start(*args)
    out, err = await process.communicate()
    assert process.returncode is not None
    return Result(process.returncode, out.decode(), err.decode())

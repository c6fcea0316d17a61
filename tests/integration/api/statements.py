"""Counting the SQL statements one request sends, to hold the hot paths to a fixed budget."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

import httpx
from sqlalchemy import event
from sqlalchemy.engine.default import NO_CACHE_KEY

from tests.integration.api.conftest import ApiHarness


async def statements_of(
    api: ApiHarness, request: Awaitable[httpx.Response], uncacheable: list[str] | None = None
) -> tuple[list[str], httpx.Response]:
    """The statements the request sends and its response; those SQLAlchemy cannot keep compiled
    (compiled again at every execution: a multi-row VALUES, for one) are added to `uncacheable`."""
    engine = api.app.state.services.engine.sync_engine  # type: ignore[attr-defined]
    seen: list[str] = []
    request_task = asyncio.current_task()  # the in-process client serves the request in this task

    def count(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, *args: Any) -> None:
        # Background loops (relay, inbox, template scheduler) share the engine: count only the request's.
        if asyncio.current_task() is request_task:
            seen.append(statement)
            if uncacheable is not None and context.cache_hit is NO_CACHE_KEY:
                uncacheable.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        response = await request
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return seen, response

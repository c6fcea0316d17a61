"""SQL for capture: the user's zone, projects by name, idempotency keys."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Row, func, select, update

from kanban.api.tables import capture_requests, projects, users
from kanban.db.async_core import AsyncConnection
from kanban.db.types import new_id, utcnow


async def user_timezone(conn: AsyncConnection, user_id: str) -> tuple[str, ZoneInfo]:
    name = (await conn.execute(select(users.c.timezone).where(users.c.id == user_id))).scalar_one_or_none() or "UTC"
    try:
        return name, ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return "UTC", ZoneInfo("UTC")


async def project_named(conn: AsyncConnection, board_id: str, name: str) -> str | None:
    """The board's project whose name matches, case-insensitively (the oldest if several)."""
    stmt = (
        select(projects.c.id)
        .where(projects.c.board_id == board_id, func.lower(projects.c.name) == name.lower())
        .order_by(projects.c.created_at)
        .limit(1)
    )
    return (await conn.execute(stmt)).scalar_one_or_none()


async def find_request(conn: AsyncConnection, user_id: str, key: str) -> Row[Any] | None:
    stmt = select(capture_requests).where(
        capture_requests.c.user_id == user_id, capture_requests.c.idempotency_key == key
    )
    return (await conn.execute(stmt)).first()


async def claim_request(conn: AsyncConnection, user_id: str, key: str, request_hash: str) -> str:
    """Insert the key's row; a concurrent twin waits on the unique index and then fails (IntegrityError)."""
    row_id = new_id()
    await conn.execute(
        capture_requests.insert().values(
            id=row_id, user_id=user_id, idempotency_key=key, request_hash=request_hash, created_at=utcnow()
        )
    )
    return row_id


async def settle_request(conn: AsyncConnection, row_id: str, kind: str, result_id: str) -> None:
    await conn.execute(
        update(capture_requests).where(capture_requests.c.id == row_id).values(result_kind=kind, result_id=result_id)
    )

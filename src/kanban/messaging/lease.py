"""A named lease in the service database: one holder at a time, taken over when it expires.

It keeps one relay (and one inbox processor) active per database even with several replicas,
on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from kanban.db.async_core import AsyncEngine
from kanban.db.engine import write_transaction
from kanban.db.types import utcnow
from kanban.messaging.tables import MessagingTables

log = logging.getLogger(__name__)


class Lease:
    def __init__(
        self,
        engine: AsyncEngine,
        tables: MessagingTables,
        name: str,
        owner: str,
        ttl_seconds: float,
        renew_after_seconds: float = 0.0,
    ) -> None:
        self._engine = engine
        self._table = tables.leases
        self.name = name
        self.owner = owner
        self._ttl = timedelta(seconds=ttl_seconds)
        # A loop that asks before every round (a relay, an inbox) need not write each time: no one
        # can take the lease before it expires, so for `renew_after_seconds` after a renewal (well
        # inside the ttl) the holder knows it still holds it. 0 asks the database every time.
        self._renew_after = timedelta(seconds=min(renew_after_seconds, ttl_seconds / 2))
        self._renewed_at: datetime | None = None
        # A standby (another owner holds the lease) asks again only after the same interval, or when
        # the holder's lease runs out if sooner: the loops of a standby replica are woken by every
        # commit of every replica, and asking each time was a write transaction per commit.
        self._standby_until: datetime | None = None

    async def acquire(self) -> bool:
        """Take or renew the lease; True while this owner holds it."""
        now = utcnow()
        if self._renew_after:
            if self._renewed_at is not None and now - self._renewed_at < self._renew_after:
                return True
            if self._standby_until is not None and now < self._standby_until:
                return False
        dialect = postgresql if self._engine.dialect.name == "postgresql" else sqlite
        stmt = dialect.insert(self._table).values(name=self.name, owner=self.owner, expires_at=now + self._ttl)
        stmt = stmt.on_conflict_do_update(
            index_elements=["name"],
            set_={"owner": stmt.excluded.owner, "expires_at": stmt.excluded.expires_at},
            where=(self._table.c.owner == self.owner) | (self._table.c.expires_at < now),
        )
        async with write_transaction(self._engine) as conn:
            await conn.execute(stmt)
            holder, expires_at = (
                await conn.execute(
                    select(self._table.c.owner, self._table.c.expires_at).where(self._table.c.name == self.name)
                )
            ).one()
        held = holder == self.owner
        self._renewed_at = now if held else None
        self._standby_until = None if held else min(now + self._renew_after, expires_at)
        return held

    async def release(self) -> None:
        self._renewed_at = self._standby_until = None
        async with write_transaction(self._engine) as conn:
            await conn.execute(
                self._table.delete().where((self._table.c.name == self.name) & (self._table.c.owner == self.owner))
            )


async def run_rounds_while_leased(
    stop: asyncio.Event, lease: Lease, poll_seconds: float, round_: Callable[[], Awaitable[object]]
) -> None:
    """Every `poll_seconds` until `stop`: one `round_` while this process holds `lease` (a scheduler's loop)."""
    while not stop.is_set():
        try:
            if await lease.acquire():
                await round_()
        except Exception:
            # Loop boundary: a failed round claimed nothing, so the next round finds the same work.
            log.exception("%s: round failed", lease.name)
        try:
            await asyncio.wait_for(stop.wait(), poll_seconds)
        except TimeoutError:
            pass
    await lease.release()

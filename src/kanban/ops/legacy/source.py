"""Reading the legacy database: one REPEATABLE READ snapshot for a whole run, in key-ordered batches."""

from __future__ import annotations

import io
from typing import Any

import asyncpg

from kanban.db.urls import DatabaseUrl
from kanban.ops.errors import SourceUnreachable
from kanban.ops.legacy.layout import Layout, detect_layout, qualified


async def connect_source(db: DatabaseUrl, role: str = "source") -> asyncpg.Connection:
    """A connection to the legacy database; `role` names it in errors ("source", "rollback target")."""
    if not db.is_postgres:
        raise SourceUnreachable(f"the legacy database is PostgreSQL; the {role} {db.redacted()} is not")
    try:
        return await asyncpg.connect(db.libpq_dsn, timeout=10, server_settings={"application_name": "kanban-migrate"})
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise SourceUnreachable(f"cannot connect to {role} {db.redacted()}: {reason}") from None


async def connect_in_snapshot(db: DatabaseUrl, snapshot: str) -> asyncpg.Connection:
    """A connection to `db` reading the snapshot another transaction exported (`pg_export_snapshot()`),
    as pg_dump's parallel jobs do: what it reads is exactly what that transaction reads."""
    conn = await connect_source(db)
    try:
        await conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        await conn.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")  # an id the server gave; takes no parameter
    except BaseException:
        await conn.close()
        raise
    return conn


def _past(key: str, after: str | None) -> str:
    return f'WHERE "{key}" > $1::uuid' if after else "WHERE $1::uuid IS NULL"


class LegacySource:
    """Every read of one run sees the same snapshot, so batches fit together."""

    def __init__(self, conn: asyncpg.Connection, layout: Layout, db: DatabaseUrl) -> None:
        self.conn = conn
        self.layout = layout
        self.db = db  # where `conn` is connected: more connections can share its snapshot

    @classmethod
    async def open(cls, db: DatabaseUrl) -> LegacySource:
        conn = await connect_source(db)
        try:
            await conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            layout = await detect_layout(conn)
        except BaseException:
            await conn.close()
            raise
        return cls(conn, layout, db)

    async def sharing_snapshot(self) -> LegacySource:
        """Another reader of this source's snapshot, on its own connection (for work beside this one's)."""
        snapshot = await self.conn.fetchval("SELECT pg_export_snapshot()")
        return LegacySource(await connect_in_snapshot(self.db, snapshot), self.layout, self.db)

    async def close(self) -> None:
        if not self.conn.is_closed():
            await self.conn.close()

    async def count(self, schema: str, table: str) -> int:
        return int(await self.conn.fetchval(f"SELECT count(*) FROM {qualified(schema, table)}"))

    async def batch_end(self, schema: str, table: str, key: str, after: str | None, size: int) -> str | None:
        """The key that closes the next batch of about `size` rows past `after`; None: the rest is the last batch."""
        col = f'"{key}"'
        past = _past(key, after)
        upper = await self.conn.fetchval(
            f"SELECT {col} FROM {qualified(schema, table)} {past} ORDER BY {col} OFFSET $2 LIMIT 1", after, size - 1
        )
        return None if upper is None else str(upper)

    @staticmethod
    def batch_range(key: str, after: str | None, upper: str | None) -> str:
        """The WHERE clause of the rows between `after` ($1) and `upper` ($2), as `batch_end` chose them."""
        upto = f' AND "{key}" <= $2::uuid' if upper is not None else " AND $2::uuid IS NULL"
        return _past(key, after) + upto

    async def batch(
        self, schema: str, table: str, key: str, after: str | None, size: int, order: str = ""
    ) -> tuple[list[asyncpg.Record], str | None, bool]:
        """Rows whose `key` is past `after`, about `size` of them, never splitting rows sharing a key.

        Returns (rows, the new `after`, whether this was the last batch).
        """
        upper = await self.batch_end(schema, table, key, after, size)
        order_by = f'"{key}"{", " + order if order else ""}'
        where = self.batch_range(key, after, upper)
        rows = await self.conn.fetch(
            f"SELECT * FROM {qualified(schema, table)} {where} ORDER BY {order_by}", after, upper
        )
        if not rows:
            return [], after, True
        last = str(rows[-1][key])
        return rows, last, upper is None

    async def fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        return await self.conn.fetch(sql, *args)

    async def copy_out(self, query: str, *args: Any) -> tuple[bytes, int]:
        """The rows of `query` in COPY text format, read by the server from this snapshot, and their count."""
        out = io.BytesIO()
        status = await self.conn.copy_from_query(query, *args, output=out, format="text")
        return out.getvalue(), int(status.split()[-1])

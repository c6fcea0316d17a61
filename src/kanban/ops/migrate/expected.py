"""What the targets must hold: the source run through the same mapping as a split, as per-table digests."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from kanban.db.async_core import AsyncEngine
from kanban.ops.migrate.canonical import TableDigest
from kanban.ops.migrate.steps import Step


class ExpectedTables:
    """Receives the mapped rows of a dry run. Users wait for the end: a later step sets their default board."""

    def __init__(self) -> None:
        self.columns: dict[str, list[str]] = {}
        self.services: dict[str, str] = {}
        self._digests: dict[str, TableDigest] = {}
        self._users: dict[str, dict[str, Any]] = {}

    def add(self, step: Step, rows: list[dict[str, Any]]) -> None:
        table = step.target.name
        self.services[table] = step.service
        if step.update_key:
            for row in rows:
                self._users[row[step.update_key]].update(row)
            return
        if rows:
            self.columns.setdefault(table, list(rows[0]))
        if table == "users":
            self._users.update({row["id"]: row for row in rows})
            return
        digest = self._digests.setdefault(table, TableDigest())
        for row in rows:
            digest.add([row[c] for c in self.columns[table]])

    def digests(self) -> dict[str, TableDigest]:
        result = dict(self._digests)
        users = TableDigest()
        for row in self._users.values():
            users.add([row[c] for c in self.columns["users"]])
        result["users"] = users
        return result


async def target_digest(engine: AsyncEngine, table: Any, columns: list[str]) -> TableDigest:
    digest = TableDigest()
    async with engine.connect() as conn:
        result = await conn.stream(select(*[table.c[c] for c in columns]))
        async for row in result:
            digest.add(list(row))
    return digest

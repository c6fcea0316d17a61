"""Which layout a legacy database uses: everything in `public`, or the consolidated `api` (+ `worker`) schemas."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from kanban.ops.errors import LegacyLayoutNotFound

LEGACY_TABLES = (
    "User",
    "Board",
    "Column",
    "Project",
    "Task",
    "ChecklistItem",
    "Tag",
    "TaskTag",
    "TaskEvent",
    "Rule",
    "RecurringTemplate",
    "Hint",
    "EmailActionToken",
    "LocalBrain",
)


@dataclass(frozen=True)
class Layout:
    name: str  # single | consolidated
    schema: str  # where the tables of record are
    worker_tables: tuple[str, ...] = ()  # legacy tables present in the `worker` copy

    @property
    def schemas(self) -> tuple[str, ...]:
        return (self.schema, "worker") if self.worker_tables else (self.schema,)

    def tables(self) -> list[tuple[str, str]]:
        """Every (schema, table) of the legacy data, tables of record first."""
        return [(self.schema, t) for t in LEGACY_TABLES] + [("worker", t) for t in self.worker_tables]

    def as_dict(self) -> dict[str, object]:
        return {"name": self.name, "schema": self.schema, "worker_tables": list(self.worker_tables)}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Layout:
        return cls(str(data["name"]), str(data["schema"]), tuple(data.get("worker_tables", ())))  # type: ignore[arg-type]


def qualified(schema: str, table: str) -> str:
    return f'"{schema}"."{table}"'


async def detect_layout(conn: asyncpg.Connection) -> Layout:
    """The consolidated `api` schema wins over `public` when both hold the tables."""
    present = await conn.fetch(
        "SELECT table_schema, table_name FROM information_schema.tables "
        "WHERE table_schema IN ('public', 'api', 'worker') AND table_type = 'BASE TABLE'"
    )
    by_schema: dict[str, set[str]] = {}
    for row in present:
        by_schema.setdefault(row["table_schema"], set()).add(row["table_name"])
    for schema, name in (("api", "consolidated"), ("public", "single")):
        found = by_schema.get(schema, set())
        if "Task" in found:
            missing = [t for t in LEGACY_TABLES if t not in found]
            if missing:
                raise LegacyLayoutNotFound(f"schema {schema!r} lacks legacy tables: {', '.join(missing)}")
            worker = by_schema.get("worker", set()) if name == "consolidated" else set()
            return Layout(name, schema, tuple(t for t in LEGACY_TABLES if t in worker))
    raise LegacyLayoutNotFound('no legacy Kanban tables (a "Task" table) in schema api or public')

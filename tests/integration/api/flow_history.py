"""A board's history written straight into the API database, with the times each event happened.

Analytics read only rows, so a test can lay out weeks of moves in local wall-clock time (the
owner's zone) and check the metrics against answers worked out by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncConnection

from kanban.api.tables import boards, columns, task_events, tasks, users
from kanban.db.types import new_id


@dataclass
class _Task:
    id: str
    title: str
    created: datetime
    column: str
    last_moved: datetime
    project_id: str | None = None
    deleted: bool = False


@dataclass
class FlowHistory:
    """Columns are given with their type *now*; each event records the type the column had then."""

    tz: ZoneInfo
    column_ids: dict[str, str] = field(default_factory=dict)
    column_rows: list[dict[str, Any]] = field(default_factory=list)
    types_then: dict[str, str] = field(default_factory=dict)
    tasks: dict[str, _Task] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)

    def at(self, local: str) -> datetime:
        """'2026-10-25 22:00' in the owner's zone, as an aware datetime."""
        return datetime.fromisoformat(local).replace(tzinfo=self.tz)

    def column(
        self, key: str, name: str, type_now: str, type_then: str | None = None, wip_limit: int | None = None
    ) -> str:
        column_id = self.column_ids[key] = new_id()
        self.types_then[key] = type_then or type_now
        self.column_rows.append(
            {"id": column_id, "name": name, "type": type_now, "position": len(self.column_rows), "wip_limit": wip_limit}
        )
        return column_id

    def _event(self, key: str, kind: str, at: datetime, typed: bool = True, **values: Any) -> None:
        self.events.append(
            {"id": new_id(), "task_id": self.tasks[key].id, "type": kind, "created_at": at, "triggered_by": "test",
             **{k: v for k, v in values.items() if typed or not k.endswith("_type")}}
        )  # fmt: skip

    def create(self, key: str, when: str, column: str = "inbox", typed: bool = True) -> str:
        at = self.at(when)
        self.tasks[key] = _Task(new_id(), key, at, column, at)
        self._event(key, "created", at, typed, to_column_id=self.column_ids[column],
                    to_column_type=self.types_then[column], payload={"title": key, "wipOverride": False})  # fmt: skip
        return self.tasks[key].id

    def move(self, key: str, when: str, to: str, typed: bool = True, override: bool = False) -> None:
        task, at = self.tasks[key], self.at(when)
        self._event(
            key, "moved", at, typed, from_column_id=self.column_ids[task.column], to_column_id=self.column_ids[to],
            from_column_type=self.types_then[task.column], to_column_type=self.types_then[to],
            payload={"changedFields": ["column_id", "position"], "wipOverride": override},
        )  # fmt: skip
        task.column, task.last_moved = to, at

    def story(self, key: str, created: str, *steps: tuple[str, str], column: str = "inbox", typed: bool = True) -> None:
        """Create `key`, then each (when, column) step in turn; the column "trash" deletes it."""
        self.create(key, created, column, typed)
        for when, to in steps:
            if to == "trash":
                self.delete(key, when)
            else:
                self.move(key, when, to, typed)

    def retype(self, column: str, when: str, new_type: str) -> None:
        """The column changes type in place: each task in it logs both types, no column ids."""
        at = self.at(when)
        for key, task in self.tasks.items():
            if task.column == column and not task.deleted:
                self._event(key, "updated", at, from_column_type=self.types_then[column], to_column_type=new_type,
                            payload={"changedFields": ["column_type"]})  # fmt: skip
        self.types_then[column] = new_type

    def delete(self, key: str, when: str) -> None:
        task = self.tasks[key]
        self._event(key, "deleted", self.at(when), from_column_id=self.column_ids[task.column],
                    from_column_type=self.types_then[task.column], payload={"title": key})  # fmt: skip
        task.deleted = True

    async def write(self, conn: AsyncConnection, owner_id: str, timezone: str) -> str:
        """Insert the board, its columns, the live tasks and every event; returns the board id."""
        await conn.execute(update(users).where(users.c.id == owner_id).values(timezone=timezone))
        board_id = new_id()
        now = datetime.now(self.tz)
        await conn.execute(
            boards.insert().values(id=board_id, owner_id=owner_id, name="Flow", config={}, version=1, created_at=now,
                                   updated_at=now)
        )  # fmt: skip
        await conn.execute(
            columns.insert(),
            [{**c, "board_id": board_id, "created_at": now, "updated_at": now} for c in self.column_rows],
        )
        live = [t for t in self.tasks.values() if not t.deleted]
        positions: dict[str, int] = {}
        if live:
            rows = []
            for t in live:
                position = positions[t.column] = positions.get(t.column, -1) + 1
                rows.append(
                    {"id": t.id, "board_id": board_id, "column_id": self.column_ids[t.column], "owner_id": owner_id,
                     "title": t.title, "position": position, "version": 1, "project_id": t.project_id,
                     "is_done": self.column_rows[list(self.column_ids).index(t.column)]["type"] == "DONE",
                     "created_at": t.created, "updated_at": t.last_moved, "last_moved_at": t.last_moved}
                )  # fmt: skip
            await conn.execute(tasks.insert(), rows)
        full = [{"from_column_id": None, "to_column_id": None, "from_column_type": None, "to_column_type": None,
                 "payload": None, **e, "board_id": board_id} for e in self.events]  # fmt: skip
        await conn.execute(task_events.insert(), full)
        return board_id

"""Building an export document from another tool's data: one board, its columns, tags, tasks and history.

Converters call this instead of writing the document's shape themselves, so every import, ours
or another tool's, goes through the same checks and the same insert.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

from kanban.api.portability.document import FORMAT, FORMAT_VERSION, TASK_TAG_IDS
from kanban.db.types import new_id, utcnow

# Words in another tool's list names that say which GTD column a list is.
_TYPE_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("DONE", ("done", "complete", "finished", "closed", "shipped")),
    ("ARCHIVE", ("archive",)),
    ("WAITING", ("waiting", "blocked", "on hold")),
    ("SOMEDAY", ("someday", "maybe", "later", "icebox")),
    ("INPUT", ("inbox", "backlog", "to do", "todo", "ideas", "new")),
)


def column_type_for(name: str) -> str:
    """The GTD column type a list named `name` most likely is; an unknown name is a lane of next actions."""
    lowered = name.lower()
    for column_type, words in _TYPE_WORDS:
        if any(word in lowered for word in words):
            return column_type
    return "CONTEXT"


def iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


class DocumentBuilder:
    def __init__(self, name: str, description: str | None, source: str) -> None:
        self.source = source
        self._now = iso(utcnow())
        self._board: dict[str, Any] = {
            "id": new_id(), "name": name[:200] or "Imported board", "description": description or None,
            "config": {}, "createdAt": self._now, "updatedAt": self._now,
        }  # fmt: skip
        self._lists: dict[str, list[dict[str, Any]]] = {
            "columns": [], "projects": [], "tags": [], "tasks": [], "checklistItems": [], "hints": [],
            "rules": [], "templates": [], "taskEvents": [],
        }  # fmt: skip
        self._tags_by_key: dict[str, str] = {}
        self._tasks_in: Counter[str] = Counter()
        self.not_carried: list[str] = []

    # --- the board's parts -------------------------------------------------------------

    def column(self, name: str, column_type: str | None = None) -> str:
        column_id = new_id()
        self._lists["columns"].append(
            {
                "id": column_id, "name": name[:200] or "Untitled", "type": column_type or column_type_for(name),
                "wipLimit": None, "position": len(self._lists["columns"]), "createdAt": self._now,
                "updatedAt": self._now,
            }
        )  # fmt: skip
        return column_id

    def column_of_type(self, column_type: str, name: str) -> str:
        """The first column of a type, added at the end when the board has none yet."""
        for column in self._lists["columns"]:
            if column["type"] == column_type:
                return str(column["id"])
        return self.column(name, column_type)

    def ensure_inbox(self) -> None:
        """Every board has an Inbox (where capture lands): put one first when the tool had no such list."""
        if any(c["type"] == "INPUT" for c in self._lists["columns"]):
            return
        for column in self._lists["columns"]:
            column["position"] += 1
        self._lists["columns"].insert(
            0, {"id": new_id(), "name": "Inbox", "type": "INPUT", "wipLimit": None, "position": 0,
                "createdAt": self._now, "updatedAt": self._now}
        )  # fmt: skip

    def column_type(self, column_id: str) -> str:
        return next(str(c["type"]) for c in self._lists["columns"] if c["id"] == column_id)

    def tag(self, name: str, color: str | None = None) -> str:
        """The tag named `name` (one per name whatever its case), created on first use."""
        name = name.strip()[:100]
        key = name.lower()
        if key not in self._tags_by_key:
            tag_id = self._tags_by_key[key] = new_id()
            item: dict[str, Any] = {"id": tag_id, "name": name, "createdAt": self._now, "updatedAt": self._now}
            if color:
                item["color"] = color
            self._lists["tags"].append(item)
        return self._tags_by_key[key]

    def task(
        self,
        column_id: str,
        title: str,
        *,
        created_at: datetime | None = None,
        updated_at: datetime | None = None,
        completed_at: datetime | None = None,
        tag_ids: list[str] | None = None,
        **fields: Any,
    ) -> str:
        """A task at the end of its column, with a `created` history row (and `completed` when it is done)."""
        task_id = new_id()
        created = iso(created_at) if created_at else self._now
        updated = iso(updated_at) if updated_at else created
        done = self.column_type(column_id) == "DONE"
        finished = iso(completed_at) if completed_at else updated
        self._lists["tasks"].append(
            {
                "id": task_id, "columnId": column_id, "title": title.strip()[:500] or "Untitled",
                "position": self._tasks_in[column_id], "isDone": done, "completedAt": finished if done else None,
                "createdAt": created, "updatedAt": updated, "lastMovedAt": finished if done else created,
                "source": "import", TASK_TAG_IDS: list(dict.fromkeys(tag_ids or [])), **fields,
            }
        )  # fmt: skip
        self._tasks_in[column_id] += 1
        self.event(
            task_id, "created", created, to_column_id=column_id, payload={"title": title, "importedFrom": self.source}
        )
        if done:
            self.event(task_id, "completed", finished)
        return task_id

    def checklist_item(self, task_id: str, title: str, is_done: bool, position: int) -> None:
        self._lists["checklistItems"].append(
            {"id": new_id(), "taskId": task_id, "title": title.strip()[:500] or "Untitled", "isDone": is_done,
             "position": position, "createdAt": self._now, "updatedAt": self._now}
        )  # fmt: skip

    def event(
        self,
        task_id: str,
        kind: str,
        at: str,
        *,
        to_column_id: str | None = None,
        payload: dict[str, Any] | None = None,
    ) -> None:
        self._lists["taskEvents"].append(
            {"id": new_id(), "taskId": task_id, "type": kind, "fromColumnId": None, "toColumnId": to_column_id,
             "payload": payload, "triggeredBy": f"import:{self.source}", "createdAt": at}
        )  # fmt: skip

    def skipped(self, what: str, count: int = 1) -> None:
        """Say what the file had that this board cannot hold (reported to the person, never silently lost)."""
        if count:
            self.not_carried.append(f"{what}: {count}")

    def document(self) -> dict[str, Any]:
        self.ensure_inbox()
        return {
            "format": FORMAT, "formatVersion": FORMAT_VERSION, "exportId": new_id(), "exportedAt": self._now,
            "scope": "board", "owner": {"id": new_id()}, "defaultBoardId": None,
            "boards": [{**self._board, **self._lists}],
        }  # fmt: skip

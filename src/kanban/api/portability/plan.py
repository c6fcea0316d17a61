"""From a checked document to the rows an import inserts and the task states it announces.

Pure: no I/O. Every id is new (see `remap`), every row belongs to the importing user, and the
rows keep their timestamps, versions and positions, so the imported board reads as the original
and analytics see the original history.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic.alias_generators import to_camel
from sqlalchemy import String, Table
from sqlalchemy.sql.elements import False_, True_

from kanban.api.portability.document import BOARD, ENTITIES, TASK_TAG_IDS, Entity, is_id, json_to_row
from kanban.api.portability.remap import IdMap
from kanban.contracts.events import TaskState


@dataclass
class ImportPlan:
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    board_ids: list[str] = field(default_factory=list)
    default_board_id: str | None = None

    def count(self, key: str) -> int:
        return len(self.rows.get(key, []))


def _default(column: Any) -> Any:
    """The Python value of a column's server default, for rows that leave the column out."""
    if column.server_default is None:
        return None
    arg = column.server_default.arg
    if isinstance(arg, True_ | False_):
        return isinstance(arg, True_)
    if isinstance(arg, str) and column.type.python_type is int:
        return int(arg)
    return arg if isinstance(arg, str) else None


def _row(entity: Entity, item: dict[str, Any], ids: IdMap) -> dict[str, Any]:
    row = json_to_row(entity, item)
    for column in entity.columns:
        value = row.get(column.name, _default(column))
        if is_id(column):
            value = ids.id(value)
        elif isinstance(column.type, String) or not isinstance(value, bool | int | float | datetime | None):
            value = ids.json(value)
        row[column.name] = value
    return row


def _owned(table: Table, row: dict[str, Any], board_id: str, user_id: str) -> dict[str, Any]:
    if "board_id" in table.c:
        row["board_id"] = board_id
    if "owner_id" in table.c:
        row["owner_id"] = user_id
    if "name_key" in table.c:
        row["name_key"] = row["name"].lower()
    return row


def plan_import(document: dict[str, Any], user_id: str) -> ImportPlan:
    """The rows of `document` for `user_id`, with new ids everywhere (references remapped alike)."""
    ids = IdMap({document["owner"]["id"]: user_id})
    # First every identifier, in document order, so that text and JSON anywhere can be remapped.
    for board in document["boards"]:
        ids.id(board["id"])
        for entity in ENTITIES:
            id_keys = [to_camel(c.name) for c in entity.columns if is_id(c)]
            for item in board[entity.key]:
                for key in id_keys:
                    ids.id(item.get(key))
    plan = ImportPlan()
    rows = plan.rows
    for board in document["boards"]:
        board_row = _owned(BOARD.table, _row(BOARD, board, ids), "", user_id)
        rows.setdefault("boards", []).append(board_row)
        new_board = board_row["id"]
        plan.board_ids.append(new_board)
        for entity in ENTITIES:
            bucket = rows.setdefault(entity.key, [])
            bucket.extend(
                _owned(entity.table, _row(entity, item, ids), new_board, user_id) for item in board[entity.key]
            )
        rows.setdefault("taskTags", []).extend(
            {"task_id": ids.id(task["id"]), "tag_id": ids.id(tag)}
            for task in board["tasks"]
            for tag in dict.fromkeys(task.get(TASK_TAG_IDS, []))
        )
    default = document.get("defaultBoardId")
    plan.default_board_id = ids.get(default) if default else (plan.board_ids[0] if plan.board_ids else None)
    return plan


def task_states(plan: ImportPlan) -> list[TaskState]:
    """What TaskCreatedV1 carries for each imported task, built from the rows (no re-reading)."""
    column_types = {c["id"]: c["type"] for c in plan.rows.get("columns", [])}
    tag_names = {t["id"]: t["name"] for t in plan.rows.get("tags", [])}
    tags_of: dict[str, list[str]] = defaultdict(list)
    for link in plan.rows.get("taskTags", []):
        tags_of[link["task_id"]].append(tag_names[link["tag_id"]])
    items_of: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in plan.rows.get("checklistItems", []):
        items_of[item["task_id"]].append(item)
    states = []
    for t in plan.rows.get("tasks", []):
        checklist = sorted(items_of[t["id"]], key=lambda i: (i["position"], i["created_at"]))
        states.append(
            TaskState(
                task_id=t["id"], board_id=t["board_id"], owner_id=t["owner_id"], column_id=t["column_id"],
                column_type=column_types[t["column_id"]], title=t["title"], description=t["description"],
                context=t["context"], priority=t["priority"], duration_minutes=t["duration_minutes"],
                due_at=t["due_at"], project_id=t["project_id"], waiting_for=t["waiting_for"],
                needs_breakdown=bool(t["needs_breakdown"]), is_done=bool(t["is_done"]),
                tags=tuple(sorted(tags_of[t["id"]], key=str.lower)), checklist=tuple(i["title"] for i in checklist),
                version=t["version"], updated_at=t["updated_at"],
            )
        )  # fmt: skip
    return states

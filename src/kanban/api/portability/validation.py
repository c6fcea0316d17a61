"""Checking a document before anything is written: its size, its schema, and that its references hold.

A refusal names what failed: 413 for a body over the byte limit, 422 (with the JSON path) for a
document that breaks the schema, a count limit, or a reference between its rows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from kanban.api.errors import InvalidInput, PayloadTooLarge
from kanban.api.portability.document import ENTITIES, FORMAT, FORMAT_VERSION, TASK_TAG_IDS, document_schema

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator


@dataclass(frozen=True)
class ImportLimits:
    """What one import may carry; from the settings (KANBAN_IMPORT_MAX_BYTES, KANBAN_IMPORT_MAX_TASKS)."""

    max_bytes: int = 25 * 1024 * 1024
    max_tasks: int = 10_000
    max_boards: int = 100

    @property
    def max_rows(self) -> int:
        """All rows of all entities together: room for a long history, never unbounded."""
        return self.max_tasks * 50


@cache
def _validator() -> Draft202012Validator:
    # Imported on the first import request: jsonschema would otherwise stay in every API process.
    from jsonschema import Draft202012Validator

    return Draft202012Validator(document_schema())


def check_size(size: int, limits: ImportLimits) -> None:
    if size > limits.max_bytes:
        raise PayloadTooLarge(
            f"the file is {size} bytes; an import takes at most {limits.max_bytes} bytes",
            limit="maxBytes",
            maxBytes=limits.max_bytes,
        )


def parse_json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidInput(f"the file is not JSON: {exc}", field="body") from None


def check_schema(document: Any) -> None:
    if not isinstance(document, dict):
        raise InvalidInput("the file is not an export document (a JSON object)", field="document")
    if document.get("format") != FORMAT:
        raise InvalidInput(f"format must be {FORMAT!r}: is this a file of another tool?", field="format")
    version = document.get("formatVersion")
    if version != FORMAT_VERSION:
        raise InvalidInput(
            f"formatVersion {version!r}: this instance reads version {FORMAT_VERSION}", field="formatVersion"
        )
    from jsonschema.exceptions import best_match

    error = best_match(_validator().iter_errors(document))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "document"
        raise InvalidInput(f"{where}: {error.message[:300]}", field=where)


def check_counts(document: dict[str, Any], limits: ImportLimits) -> None:
    boards = document["boards"]
    if len(boards) > limits.max_boards:
        raise InvalidInput(f"{len(boards)} boards; an import takes at most {limits.max_boards}", field="boards")
    task_count = sum(len(b["tasks"]) for b in boards)
    if task_count > limits.max_tasks:
        raise InvalidInput(f"{task_count} tasks; an import takes at most {limits.max_tasks}", field="tasks")
    rows = sum(len(b[e.key]) for b in boards for e in ENTITIES)
    if rows > limits.max_rows:
        raise InvalidInput(f"{rows} rows; an import takes at most {limits.max_rows}", field="boards")


def _require(condition: bool, where: str, message: str) -> None:
    if not condition:
        raise InvalidInput(f"{where}: {message}", field=where)


def check_references(document: dict[str, Any]) -> None:
    """Every reference a foreign key would enforce points inside the same board; ids are unique."""
    seen: set[str] = set()
    for b, board in enumerate(document["boards"]):
        for where, item_id in [(f"boards/{b}", board["id"])] + [
            (f"boards/{b}/{e.key}/{i}", item["id"]) for e in ENTITIES for i, item in enumerate(board[e.key])
        ]:
            _require(item_id not in seen, where, f"id {item_id} appears twice")
            seen.add(item_id)
        ids = {e.key: {item["id"] for item in board[e.key]} for e in ENTITIES}
        _require(any(True for _ in board["columns"]), f"boards/{b}/columns", "a board needs at least one column")
        for i, task in enumerate(board["tasks"]):
            at = f"boards/{b}/tasks/{i}"
            _require(task["columnId"] in ids["columns"], f"{at}/columnId", "not a column of this board")
            project = task.get("projectId")
            _require(project is None or project in ids["projects"], f"{at}/projectId", "not a project of this board")
            for tag in task.get(TASK_TAG_IDS, []):
                _require(tag in ids["tags"], f"{at}/{TASK_TAG_IDS}", f"{tag} is not a tag of this board")
        for key in ("checklistItems", "hints"):
            for i, item in enumerate(board[key]):
                _require(item["taskId"] in ids["tasks"], f"boards/{b}/{key}/{i}/taskId", "not a task of this board")
    default = document.get("defaultBoardId")
    if default is not None and default not in {board["id"] for board in document["boards"]}:
        document["defaultBoardId"] = None  # a board export names the account's default board, maybe another one

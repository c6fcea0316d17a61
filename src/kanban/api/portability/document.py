"""The export document: which tables it carries, row <-> JSON, and its JSON Schema, all from the tables.

The document is the API database's rows of one account, board by board, with camelCase keys and
nothing derived left out, so an import can rebuild every read of the board. Entities are
declared once here; the exporter, the importer and `docs/export.schema.json` follow from them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, get_args

from pydantic.alias_generators import to_camel
from sqlalchemy import Boolean, Float, Integer, String, Table, Text
from sqlalchemy.sql.type_api import TypeEngine

from kanban.api.tables import (
    boards,
    checklist_items,
    columns,
    hints,
    projects,
    recurring_templates,
    rules,
    tags,
    task_events,
    tasks,
)
from kanban.contracts.events import ColumnType, Priority, TaskContext
from kanban.db.types import UtcDateTime

FORMAT = "personal-kanban"
FORMAT_VERSION = 1
SCHEMA_ID = "https://personal-kanban.invalid/export.schema.json"


@dataclass(frozen=True)
class Entity:
    """One table as the document carries it: under `key` of each board, minus the columns implied by the board."""

    key: str
    table: Table
    implied: frozenset[str] = frozenset({"board_id", "owner_id"})

    @property
    def columns(self) -> list[Any]:
        return [c for c in self.table.columns if c.name not in self.implied]


BOARD = Entity("boards", boards)
# In dependency order: an import inserts them in this order.
ENTITIES: tuple[Entity, ...] = (
    Entity("columns", columns),
    Entity("projects", projects),
    Entity("tags", tags, frozenset({"board_id", "name_key"})),
    Entity("tasks", tasks),
    Entity("checklistItems", checklist_items),
    Entity("hints", hints),
    Entity("rules", rules),
    Entity("templates", recurring_templates),
    Entity("taskEvents", task_events),
)
BY_KEY = {e.key: e for e in ENTITIES}
# Values the database or the event contracts constrain: checked before anything is written.
ENUMS: dict[tuple[str, str], tuple[str, ...]] = {
    ("columns", "type"): get_args(ColumnType),
    ("tasks", "context"): get_args(TaskContext),
    ("tasks", "priority"): get_args(Priority),
}
# Extra keys a task carries beside its columns: the ids of its tags (the task_tags rows).
TASK_TAG_IDS = "tagIds"


def is_id(column: Any) -> bool:
    """Identifier columns (primary and foreign keys, draft and job ids): an import gives them new values."""
    return isinstance(column.type, String) and column.type.length == 36


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def row_to_json(entity: Entity, row: Any) -> dict[str, Any]:
    m = row._mapping
    out: dict[str, Any] = {}
    for column in entity.columns:
        value = m[column.name]
        if isinstance(value, datetime):
            value = _iso(value)
        elif isinstance(column.type, Boolean) and value is not None:
            value = bool(value)
        out[to_camel(column.name)] = value
    return out


def json_to_row(entity: Entity, item: dict[str, Any]) -> dict[str, Any]:
    """The table row of a (schema-valid) document item; absent optional columns take their defaults."""
    row: dict[str, Any] = {}
    for column in entity.columns:
        key = to_camel(column.name)
        if key not in item:
            continue
        value = item[key]
        if isinstance(column.type, UtcDateTime) and value is not None:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
            value = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        row[column.name] = value
    return row


# --- JSON Schema ------------------------------------------------------------------------------


def _type_schema(sql_type: TypeEngine[Any]) -> dict[str, Any]:
    if isinstance(sql_type, UtcDateTime):
        return {"type": "string", "format": "date-time"}
    if isinstance(sql_type, Boolean):
        return {"type": "boolean"}
    if isinstance(sql_type, Integer):
        return {"type": "integer"}
    if isinstance(sql_type, Float):
        return {"type": "number"}
    if isinstance(sql_type, String) and not isinstance(sql_type, Text):
        return {"type": "string", "maxLength": sql_type.length} if sql_type.length else {"type": "string"}
    if isinstance(sql_type, Text):
        return {"type": "string"}
    return {}  # a JSON document: any value


def entity_schema(entity: Entity, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    required: list[str] = []
    for column in entity.columns:
        schema = _type_schema(column.type)
        if (entity.table.name, column.name) in ENUMS:
            schema = {"enum": list(ENUMS[(entity.table.name, column.name)])}
        if column.nullable and schema:
            schema = {"anyOf": [schema, {"type": "null"}]}
        properties[to_camel(column.name)] = schema
        if not column.nullable and column.server_default is None:
            required.append(to_camel(column.name))
    properties |= extra or {}
    return {"type": "object", "properties": properties, "required": required, "additionalProperties": False}


def document_schema() -> dict[str, Any]:
    """The JSON Schema (2020-12) of the export document; `docs/export.schema.json` is this, written out."""
    id_list = {"type": "array", "items": {"type": "string", "maxLength": 36}}
    defs = {e.key: entity_schema(e, {TASK_TAG_IDS: id_list} if e.key == "tasks" else None) for e in ENTITIES}
    board = entity_schema(BOARD, {e.key: {"type": "array", "items": {"$ref": f"#/$defs/{e.key}"}} for e in ENTITIES})
    board["required"] += [e.key for e in ENTITIES]
    nullable_text = {"anyOf": [{"type": "string"}, {"type": "null"}]}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "Personal Kanban export",
        "description": (
            "A lossless export of one board or of a whole account: every row of the API database that "
            "belongs to it, board by board, with camelCase keys. Generated from the tables; do not edit by hand."
        ),
        "type": "object",
        "properties": {
            "format": {"const": FORMAT},
            "formatVersion": {"const": FORMAT_VERSION},
            "exportId": {"type": "string", "minLength": 1, "maxLength": 100},
            "exportedAt": {"type": "string", "format": "date-time"},
            "scope": {"enum": ["board", "account"]},
            "owner": {
                "type": "object",
                "properties": {
                    "id": {"type": "string", "maxLength": 36},
                    "email": nullable_text,
                    "name": nullable_text,
                    "timezone": nullable_text,
                },
                "required": ["id"],
                "additionalProperties": False,
            },
            "defaultBoardId": {"anyOf": [{"type": "string", "maxLength": 36}, {"type": "null"}]},
            "boards": {"type": "array", "items": {"$ref": "#/$defs/board"}},
        },
        "required": ["format", "formatVersion", "exportId", "exportedAt", "scope", "owner", "boards"],
        "additionalProperties": False,
        "$defs": {"board": board, **defs},
    }

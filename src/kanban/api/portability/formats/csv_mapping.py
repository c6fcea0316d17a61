"""Any CSV of tasks, with a mapping that says which CSV column holds which field of ours.

The mapping is {our field: CSV header}; `title` is required. Lists (tags, checklist) are split on
`;` or `,`. Rows without a column value land in the Inbox; unmapped CSV columns are reported.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any, get_args

from kanban.api.errors import InvalidInput
from kanban.api.portability.formats.builder import DocumentBuilder
from kanban.api.portability.formats.kanboard import parse_date, read_rows
from kanban.contracts.events import Priority, TaskContext

FIELDS = ("title", "description", "column", "tags", "due", "priority", "context", "checklist", "done", "created")
_TRUE = {"1", "true", "yes", "y", "x", "done", "closed", "complete", "completed"}


def _split(value: str) -> list[str]:
    return [part.strip() for part in re.split(r"[;,]", value) if part.strip()]


def check_mapping(mapping: dict[str, str], headers: list[str]) -> None:
    unknown = sorted(set(mapping) - set(FIELDS))
    if unknown:
        raise InvalidInput(f"unknown field(s) in the mapping: {', '.join(unknown)}; known: {', '.join(FIELDS)}",
                           field="mapping")  # fmt: skip
    if "title" not in mapping:
        raise InvalidInput("the mapping must say which CSV column is the title (title=HEADER)", field="mapping")
    absent = sorted(header for header in mapping.values() if header not in headers)
    if absent:
        raise InvalidInput(f"the CSV has no column {', '.join(absent)}", field="mapping")


def to_document(text: str, mapping: dict[str, str]) -> tuple[dict[str, Any], list[str]]:
    rows = read_rows(text)
    headers = list(rows[0]) if rows else []
    check_mapping(mapping, headers)
    b = DocumentBuilder("Imported tasks", None, "csv")
    inbox = b.column("Inbox", "INPUT")
    columns: dict[str, str] = {}
    counts: dict[str, int] = defaultdict(int)

    def value(row: dict[str, str], field: str) -> str:
        return row.get(mapping[field], "").strip() if field in mapping else ""

    for row in rows:
        title = value(row, "title")
        if not title:
            counts["rows without a title"] += 1
            continue
        column_name = value(row, "column")
        if column_name and column_name not in columns:
            columns[column_name] = (
                b.column_of_type("INPUT", column_name) if column_name.lower() == "inbox" else b.column(column_name)
            )
        column_id = columns[column_name] if column_name else inbox
        if value(row, "done").lower() in _TRUE and b.column_type(column_id) != "DONE":
            column_id = b.column_of_type("DONE", "Done")
        fields: dict[str, Any] = {"description": value(row, "description") or None}
        for field, allowed in (("priority", get_args(Priority)), ("context", get_args(TaskContext))):
            raw = value(row, field).upper().lstrip("@")
            if raw and raw in allowed:
                fields[field] = raw
            elif raw:
                counts[f"{field} values that are not one of {', '.join(allowed)}"] += 1
        due = parse_date(value(row, "due"))
        if value(row, "due") and due is None:
            counts["due dates in an unknown format"] += 1
        task_id = b.task(
            column_id,
            title,
            created_at=parse_date(value(row, "created")),
            tag_ids=[b.tag(t) for t in _split(value(row, "tags"))],
            dueAt=due.isoformat().replace("+00:00", "Z") if due else None,
            **fields,
        )
        for position, item in enumerate(_split(value(row, "checklist"))):
            b.checklist_item(task_id, item, False, position)
    for header in headers:
        if header not in mapping.values() and any(row.get(header, "").strip() for row in rows):
            counts[f"the CSV column {header!r} (not in the mapping)"] += 1
    for what, count in counts.items():
        b.skipped(what, count)
    return b.document(), b.not_carried

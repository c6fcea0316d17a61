"""Kanboard's task export (Project → Export → Tasks, a CSV) as a board of ours.

Carried: Project → the board's name, Column → columns (in order of first appearance; the name
picks the GTD type), Title, Due date, Category → a tag, Time estimated (hours) → duration,
Creation/Modification/Completion dates, Position, Task Id and Reference → metadata, closed tasks
→ the Done column. Kanboard's CSV has no description. What else it holds is named in the report.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from kanban.api.errors import InvalidInput
from kanban.api.portability.formats.builder import DocumentBuilder

# Kanboard formats dates with the user's date format; these are the ones it offers.
_DATE_FORMATS = ("%m/%d/%Y %H:%M", "%m/%d/%Y", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%d/%m/%Y %H:%M", "%d/%m/%Y",
                 "%d.%m.%Y %H:%M", "%d.%m.%Y", "%Y/%m/%d %H:%M", "%Y/%m/%d")  # fmt: skip
REQUIRED = ("Task Id", "Column", "Title")
# Header → what the report calls it when a row has a value we cannot hold.
NOT_CARRIED = {
    "Swimlane": "swimlanes", "Color": "colours", "Creator": "creators", "Assignee Username": "assignees",
    "Complexity": "complexity scores", "Start date": "start dates", "Time spent": "time spent",
}  # fmt: skip


def parse_date(value: str) -> datetime | None:
    value = value.strip()
    if not value:
        return None
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(value, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None


def read_rows(text: str) -> list[dict[str, str]]:
    try:
        reader = csv.DictReader(io.StringIO(text))
        return [{(k or "").strip(): (v or "") for k, v in row.items()} for row in reader]
    except csv.Error as exc:
        raise InvalidInput(f"the file is not CSV: {exc}", field="body") from None


def _hours_to_minutes(value: str) -> int | None:
    try:
        hours = float(value.replace(",", "."))
    except ValueError:
        return None
    return round(hours * 60) if hours > 0 else None


def to_document(text: str) -> tuple[dict[str, Any], list[str]]:
    rows = read_rows(text)
    missing = [h for h in REQUIRED if rows and h not in rows[0]] or ([] if rows else ["Task Id"])
    if missing:
        raise InvalidInput(f"not a Kanboard task export: no {', '.join(missing)} column", field="body")
    b = DocumentBuilder(rows[0].get("Project") or "Kanboard project", None, "kanboard")
    columns: dict[str, str] = {}
    for row in rows:
        name = row["Column"].strip() or "Untitled"
        if name not in columns:
            columns[name] = b.column(name)
    b.ensure_inbox()
    counts: dict[str, int] = defaultdict(int)
    ordered = sorted(
        rows, key=lambda r: (list(columns).index(r["Column"].strip() or "Untitled"), _int(r.get("Position")))
    )
    for row in ordered:
        closed = row.get("Status", "").strip().lower() in ("closed", "fermé", "geschlossen")
        in_column = columns[row["Column"].strip() or "Untitled"]
        column_id = b.column_of_type("DONE", "Done") if closed and b.column_type(in_column) != "DONE" else in_column
        counts["closed tasks moved to the Done column (Kanboard keeps them in their column)"] += column_id != in_column
        category = row.get("Category", "").strip()
        undated = [h for h in ("Due date", "Creation date", "Modification date", "Completion date")
                   if row.get(h, "").strip() and parse_date(row[h]) is None]  # fmt: skip
        for header in undated:
            counts[f"{header} values in an unknown date format"] += 1
        due = parse_date(row.get("Due date", ""))
        metadata: dict[str, Any] = {"kanboard": {"taskId": row["Task Id"].strip()}}
        if row.get("Reference", "").strip():
            metadata["kanboard"]["reference"] = row["Reference"].strip()
        b.task(
            column_id,
            row["Title"],
            created_at=parse_date(row.get("Creation date", "")),
            updated_at=parse_date(row.get("Modification date", "")),
            completed_at=parse_date(row.get("Completion date", "")),
            tag_ids=[b.tag(category)] if category else [],
            dueAt=due.isoformat().replace("+00:00", "Z") if due else None,
            durationMinutes=_hours_to_minutes(row.get("Time estimated", "")),
            metadata=metadata,
        )
        for header, what in NOT_CARRIED.items():
            value = row.get(header, "").strip()
            counts[what] += bool(value) and value not in ("0", "0.0", "Default swimlane", "?")
    for what, count in counts.items():
        b.skipped(what, count)
    return b.document(), b.not_carried


def _int(value: str | None) -> int:
    try:
        return int(value or 0)
    except ValueError:
        return 0

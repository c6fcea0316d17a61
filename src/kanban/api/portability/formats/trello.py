"""Trello's board export (Menu → Print, export and share → Export as JSON) as a board of ours.

Carried: lists → columns (in `pos` order; a list's name picks its GTD type), cards → tasks (name,
desc, due, position, last activity; creation time from the card id), labels → tags (colour
kept), checklists → checklist items (state kept), archived cards and cards of archived lists →
the Archive column. Everything else the file holds is named in the report.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from kanban.api.errors import InvalidInput
from kanban.api.portability.formats.builder import DocumentBuilder

# Trello's label colour names, as the colours our tags store.
COLORS = {
    "green": "#61bd4f", "yellow": "#f2d600", "orange": "#ff9f1a", "red": "#eb5a46", "purple": "#c377e0",
    "blue": "#0079bf", "sky": "#00c2e0", "lime": "#51e898", "pink": "#ff78cb", "black": "#344563",
}  # fmt: skip


def _when(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def created_at_of(trello_id: Any) -> datetime | None:
    """A Trello id starts with its creation time: 8 hex digits of Unix seconds (a MongoDB ObjectId)."""
    if not isinstance(trello_id, str) or len(trello_id) != 24:
        return None
    try:
        return datetime.fromtimestamp(int(trello_id[:8], 16), UTC)
    except ValueError:
        return None


def _pos(item: dict[str, Any]) -> float:
    pos = item.get("pos")
    return float(pos) if isinstance(pos, int | float) else 0.0


def _objects(data: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = data.get(key) or []
    if not isinstance(value, list):
        raise InvalidInput(f"{key}: expected a list", field=key)
    return [v for v in value if isinstance(v, dict)]


def to_document(data: Any) -> tuple[dict[str, Any], list[str]]:
    if not isinstance(data, dict) or not isinstance(data.get("lists"), list) or not isinstance(data.get("cards"), list):
        raise InvalidInput("not a Trello board export: expected an object with lists and cards", field="body")
    b = DocumentBuilder(str(data.get("name") or "Trello board"), data.get("desc") or None, "trello")
    columns: dict[str, str] = {}
    archived_lists: set[str] = set()
    for lst in sorted(_objects(data, "lists"), key=_pos):
        if lst.get("closed"):
            archived_lists.add(str(lst.get("id")))
        else:
            columns[str(lst.get("id"))] = b.column(str(lst.get("name") or "Untitled"))
    b.ensure_inbox()
    tags: dict[str, str] = {}
    for label in _objects(data, "labels"):
        name = str(label.get("name") or label.get("color") or "label")
        tags[str(label.get("id"))] = b.tag(name, COLORS.get(str(label.get("color"))))
    checklists_of: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for checklist in sorted(_objects(data, "checklists"), key=_pos):
        checklists_of[str(checklist.get("idCard"))].append(checklist)

    counts: dict[str, int] = defaultdict(int)
    cards = sorted(_objects(data, "cards"), key=lambda c: (str(c.get("idList")), _pos(c)))
    for card in cards:
        list_id = str(card.get("idList"))
        archived = bool(card.get("closed")) or list_id in archived_lists or list_id not in columns
        column_id = b.column_of_type("ARCHIVE", "Archive") if archived else columns[list_id]
        label_ids = [str(i) for i in card.get("idLabels") or []] or [str(x.get("id")) for x in card.get("labels") or []]
        metadata = {"trello": {k: card[k] for k in ("id", "url", "shortUrl") if card.get(k)}}
        task_id = b.task(
            column_id,
            str(card.get("name") or "Untitled"),
            created_at=created_at_of(card.get("id")),
            updated_at=_when(card.get("dateLastActivity")),
            tag_ids=[tags[i] for i in label_ids if i in tags],
            description=card.get("desc") or None,
            dueAt=(d.isoformat().replace("+00:00", "Z") if (d := _when(card.get("due"))) else None),
            metadata=metadata,
        )
        position = 0
        named = checklists_of.get(str(card.get("id")), [])
        for checklist in named:
            for item in sorted(checklist.get("checkItems") or [], key=_pos):
                b.checklist_item(task_id, str(item.get("name") or ""), item.get("state") == "complete", position)
                position += 1
        counts["checklist names (their items are kept, as one checklist per task)"] += len(named)
        counts["cards whose due date was marked complete (done here is the Done column)"] += bool(
            card.get("dueComplete") and b.column_type(column_id) != "DONE"
        )
        counts["card members"] += len(card.get("idMembers") or [])
        counts["start dates"] += bool(card.get("start"))
        counts["attachments"] += int((card.get("badges") or {}).get("attachments") or 0)
        counts["custom field values"] += len(card.get("customFieldItems") or [])
    for action in _objects(data, "actions"):
        if action.get("type") == "commentCard":
            counts["comments"] += 1
    counts["board members"] += len(_objects(data, "members"))
    for what, count in counts.items():
        b.skipped(what, count)
    return b.document(), b.not_carried

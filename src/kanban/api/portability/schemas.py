"""Portability on the wire: what an import reports (the export document itself is in `document`)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from kanban.api.schemas import ApiModel

ImportFormat = Literal["kanban", "trello", "kanboard", "csv"]


class ImportedBoard(ApiModel):
    id: str
    name: str


class ImportReport(ApiModel):
    """What an import created, and what it could not carry over from the file (one line each)."""

    import_id: str
    format: ImportFormat
    already_imported: bool = False
    imported_at: datetime
    boards: list[ImportedBoard]
    counts: dict[str, int]
    not_carried: list[str]

"""Files an import understands: ours (the export document) and other tools' exports, each made into ours.

`convert` returns the document, the file's identity (for idempotence) and what could not be
carried over; the importer then treats every format alike.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from kanban.api.errors import InvalidInput
from kanban.api.portability.formats import csv_mapping as generic_csv
from kanban.api.portability.formats import kanboard, trello
from kanban.api.portability.validation import parse_json


@dataclass(frozen=True)
class Converted:
    document: Any
    key: str
    not_carried: list[str] = field(default_factory=list)


def file_key(kind: str, body: bytes) -> str:
    return f"{kind}:sha256:{hashlib.sha256(body).hexdigest()}"


def decode_text(body: bytes) -> str:
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("the file is not UTF-8 text", field="body") from None


def convert(kind: str, body: bytes, csv_mapping: dict[str, str] | None = None) -> Converted:
    if kind == "kanban":
        document = parse_json(body)
        export_id = document.get("exportId") if isinstance(document, dict) else None
        key = f"kanban:{export_id}" if isinstance(export_id, str) and export_id else file_key(kind, body)
        return Converted(document, key)
    try:
        if kind == "trello":
            document, skipped = trello.to_document(parse_json(body))
        elif kind == "kanboard":
            document, skipped = kanboard.to_document(decode_text(body))
        elif kind == "csv":
            document, skipped = generic_csv.to_document(decode_text(body), csv_mapping or {})
        else:
            raise InvalidInput(f"unknown import format {kind!r}", field="format")
    except (TypeError, AttributeError, KeyError, ValueError) as exc:
        # Another tool's file with a field of an unexpected shape: the file is at fault, say so.
        raise InvalidInput(f"not a {kind} export this importer understands: {type(exc).__name__}: {exc}"[:300],
                           field="body") from None  # fmt: skip
    return Converted(document, file_key(kind, body), skipped)

"""Order-independent content checksums of rows, equal whatever backend or driver produced the values."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any


def canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, float) and value.is_integer():
        return int(value)  # an integer in one schema (legacy positions) may be a float rank in the other
    if isinstance(value, str) and value[:1] in "{[":
        # JSON stored as text by one backend and as a document by the other compares as a document.
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


class TableDigest:
    """sha256 over the sorted sha256 of each row's canonical JSON: row order does not matter."""

    def __init__(self) -> None:
        self._rows: list[bytes] = []

    def add(self, values: Sequence[Any]) -> None:
        text = json.dumps([canonical(v) for v in values], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        self._rows.append(hashlib.sha256(text.encode()).digest())

    @property
    def rows(self) -> int:
        return len(self._rows)

    def hexdigest(self) -> str:
        return hashlib.sha256(b"".join(sorted(self._rows))).hexdigest()

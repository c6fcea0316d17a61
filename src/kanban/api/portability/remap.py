"""New identities for an imported document: every id gets a fresh one, consistently, wherever it appears.

Identifier columns are mapped by value. Ids inside text and JSON (a rule's target column, a
history payload, `triggered_by: user:<id>`) are mapped wherever they occur as UUID-shaped
substrings, so references keep pointing at the imported rows and never at another account's.
"""

from __future__ import annotations

import re
from typing import Any

from kanban.db.types import new_id

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


class IdMap:
    def __init__(self, known: dict[str, str] | None = None) -> None:
        self._map: dict[str, str] = dict(known or {})

    def id(self, old: str | None) -> str | None:
        """The new id of `old` (given on first sight); None stays None."""
        if old is None:
            return None
        new = self._map.get(old)
        if new is None:
            new = self._map[old] = new_id()
        return new

    def get(self, old: str) -> str | None:
        return self._map.get(old)

    def text(self, value: str) -> str:
        """`value` with every id this map knows replaced; unknown ids stay as they are."""
        return _UUID.sub(lambda m: self._map.get(m.group(0), m.group(0)), value)

    def json(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.json(v) for v in value]
        if isinstance(value, dict):
            return {self.text(k): self.json(v) for k, v in value.items()}
        return value

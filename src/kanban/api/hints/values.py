"""What makes two proposals the same: a hint's value in comparable form, and the parts of a set-valued one.

A new analysis that proposes the value already proposed keeps the standing hint; a value the owner
dismissed, applied or undid is not proposed again for the same task content. For tags, actions and
duplicates the comparison is per element: a dismissed tag stays dismissed when a later analysis
proposes it beside a new one.
"""

from __future__ import annotations

import json
import re
from typing import Any

from kanban.api.hints.effects import FIELD_HINTS

# hint type -> key in its data holding a list of elements
SET_HINTS: dict[str, tuple[str, ...]] = {"tags": ("tags", "new"), "actions": ("items",), "duplicate": ("taskIds",)}


def _folded(text: Any) -> str:
    return re.sub(r"\s+", " ", str(text or "")).strip().casefold()


def elements(hint_type: str, data: dict[str, Any] | None) -> list[str]:
    """The comparable elements of a set-valued hint, in order, without repeats."""
    data = data or {}
    found = [_folded(item) for key in SET_HINTS.get(hint_type, ()) for item in data.get(key) or []]
    return list(dict.fromkeys(e for e in found if e))


def value_key(hint_type: str, content: str | None, data: dict[str, Any] | None) -> str:
    if hint_type in SET_HINTS:
        return json.dumps(sorted(elements(hint_type, data)))
    if hint_type in FIELD_HINTS:
        return json.dumps((data or {}).get(FIELD_HINTS[hint_type][1]))
    if hint_type == "summary":
        return json.dumps([(data or {}).get("url"), _folded(content)])
    if content is not None:
        return json.dumps(_folded(content))
    return json.dumps(data, sort_keys=True, default=str)


def without_elements(hint_type: str, data: dict[str, Any] | None, decided: set[str]) -> dict[str, Any] | None:
    """The data of a set-valued hint with the decided elements taken out; None when nothing is left."""
    data = dict(data or {})
    keys = SET_HINTS[hint_type]
    kept_any = False
    positions = [k for k in data if k not in keys]
    for key in keys:
        if key not in data:
            continue
        items = list(data.get(key) or [])
        kept = [i for i, item in enumerate(items) if _folded(item) not in decided]
        kept_any = kept_any or bool(kept)
        data[key] = [items[i] for i in kept]
        # Lists that run alongside (a duplicate's titles beside its task ids) keep in step.
        for other in positions:
            value = data.get(other)
            if isinstance(value, list) and len(value) == len(items):
                data[other] = [value[i] for i in kept]
    return data if kept_any else None

"""Every bound on what a client controls, in one place: the schemas, the handlers and the README use these.

A request over a limit is refused before any work: 413 for the body, 422 naming the field (and the
limit) for the rest. The numbers are generous for a person's board and small enough that one
request cannot make the API or the Worker busy for everyone else (issue 10, finding 2).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import AfterValidator, Field, StringConstraints


@dataclass(frozen=True)
class Limit:
    name: str
    value: int
    applies_to: str


MAX_BODY_BYTES = 1_048_576
MAX_TITLE_CHARS = 500
MAX_DESCRIPTION_CHARS = 100_000
MAX_TAG_NAME_CHARS = 100
MAX_TAGS_PER_TASK = 50
MAX_TAGS_PER_BOARD = 1_000
MAX_CHECKLIST_ITEMS_PER_TASK = 200
MAX_IDS_PER_REQUEST = 500
MAX_ID_CHARS = 64
MAX_METADATA_BYTES = 16_384
MAX_METADATA_DEPTH = 8
MAX_OFFSET = 1_000_000
MAX_POSITION = 1_000_000
MAX_WIP_LIMIT = 10_000
MAX_DURATION_MINUTES = 525_600
MAX_SEARCH_CHARS = 200

# The table the README's "Security" section shows (a test checks the two agree).
LIMITS: tuple[Limit, ...] = (
    Limit("maxBodyBytes", MAX_BODY_BYTES, "any request body, in bytes (413)"),
    Limit("maxTitleChars", MAX_TITLE_CHARS, "task, checklist item and template titles"),
    Limit("maxDescriptionChars", MAX_DESCRIPTION_CHARS, "task and template descriptions"),
    Limit("maxTagNameChars", MAX_TAG_NAME_CHARS, "a tag name"),
    Limit("maxTagsPerTask", MAX_TAGS_PER_TASK, "`tags` of a task create or update"),
    Limit("maxTagsPerBoard", MAX_TAGS_PER_BOARD, "tags a board can hold"),
    Limit("maxChecklistItemsPerTask", MAX_CHECKLIST_ITEMS_PER_TASK, "checklist items of one task"),
    Limit("maxIdsPerRequest", MAX_IDS_PER_REQUEST, "id lists (column and checklist reorder)"),
    Limit("maxIdChars", MAX_ID_CHARS, "an id given in a body"),
    Limit("maxMetadataBytes", MAX_METADATA_BYTES, "`metadata` of a task or template, as compact JSON"),
    Limit("maxMetadataDepth", MAX_METADATA_DEPTH, "nesting of `metadata`"),
    Limit("maxOffset", MAX_OFFSET, "`offset` of every list"),
    Limit("maxPosition", MAX_POSITION, "`position` of a column, task or checklist item"),
    Limit("maxWipLimit", MAX_WIP_LIMIT, "`wipLimit` of a column"),
    Limit("maxDurationMinutes", MAX_DURATION_MINUTES, "`durationMinutes` of a task (a year)"),
    Limit("maxSearchChars", MAX_SEARCH_CHARS, "the `q` search text"),
)


def markdown_table() -> str:
    """The limits as the README's table (tests/unit/api/test_limits_doc.py keeps the two equal)."""
    rows = ["| limit | value | applies to |", "|---|---|---|"]
    rows += [f"| `{limit.name}` | {limit.value:,} | {limit.applies_to} |" for limit in LIMITS]
    return "\n".join(rows)


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def _bounded_metadata(value: dict[str, Any] | None) -> dict[str, Any] | None:
    if value is None:
        return None
    if _depth(value) > MAX_METADATA_DEPTH:
        raise ValueError(f"nests deeper than {MAX_METADATA_DEPTH} levels (maxMetadataDepth)")
    size = len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())
    if size > MAX_METADATA_BYTES:
        raise ValueError(f"is {size} bytes of JSON, more than {MAX_METADATA_BYTES} (maxMetadataBytes)")
    return value


Metadata = Annotated[
    dict[str, Any] | None,
    AfterValidator(_bounded_metadata),
    Field(description=f"Free-form JSON, at most {MAX_METADATA_BYTES} bytes and {MAX_METADATA_DEPTH} levels deep"),
]
Title = Annotated[str, Field(min_length=1, max_length=MAX_TITLE_CHARS)]
Description = Annotated[str, Field(max_length=MAX_DESCRIPTION_CHARS)]
Id = Annotated[str, StringConstraints(min_length=1, max_length=MAX_ID_CHARS)]
IdList = Annotated[list[Id], Field(max_length=MAX_IDS_PER_REQUEST)]
Offset = Annotated[int, Field(ge=0, le=MAX_OFFSET)]
Position = Annotated[int, Field(ge=0, le=MAX_POSITION)]
WipLimit = Annotated[int, Field(ge=1, le=MAX_WIP_LIMIT)]
DurationMinutes = Annotated[int, Field(ge=0, le=MAX_DURATION_MINUTES)]

"""Steps whose rules SQL can state exactly: the legacy server maps them, its COPY output goes straight into the target.

`COPY (SELECT …) TO STDOUT` on the legacy snapshot and `COPY … FROM STDIN` on the target carry the
same bytes, so no row becomes a Python object. The two databases stay apart: the split's process
carries the bytes between its two connections, as it carries the rows on the mapped path.

A step takes this path only when it gives exactly what its mapper would: the target is PostgreSQL,
no row was left out before (so no parent is missing), and no row of the whole table breaks a check
that makes the mapper refuse it. Otherwise it runs through its mapper, which names the rows.
Rules that only note a row (for the report and the listing) are found by a query per batch.
"""

from __future__ import annotations

from dataclasses import dataclass

from kanban.ops.legacy.layout import qualified
from kanban.ops.legacy.source import LegacySource

# Text COPY output of timestamps that reads back unambiguously in any target session.
_SESSION = "SET LOCAL DateStyle = 'ISO, MDY'; SET LOCAL IntervalStyle = 'postgres'; SET LOCAL extra_float_digits = 1"


@dataclass(frozen=True)
class ServerCopy:
    """The SQL of one step over `{t}`, the legacy rows of the batch's key range; `{s.Name}` names another legacy table."""

    columns: tuple[str, ...]  # the target columns, in the order `select` gives them
    select: str
    refused: str  # a condition true for a row the mapper would refuse (InvalidRow)
    notes: tuple[tuple[str, str], ...] = ()  # (rule, condition): rows the mapper notes under that rule, in its order
    # What `{t}` is cut from: the table itself, or a query over all of it (a window needs every row).
    rows: str = "{table}"

    def _sql(self, template: str, schema: str, table: str, where: str) -> str:
        whole = self.rows.format(table=qualified(schema, table))
        return template.format(t=f"(SELECT * FROM {whole} w {where})", s=_Schema(schema))

    async def usable(self, source: LegacySource, schema: str, table: str) -> bool:
        """No row of the whole table is one the mapper would refuse."""
        refused = self._sql(f"SELECT EXISTS (SELECT 1 FROM {{t}} r WHERE {self.refused})", schema, table, "")
        return not await source.conn.fetchval(refused)

    async def copy_batch(
        self, source: LegacySource, schema: str, table: str, key: str, after: str | None, upper: str | None
    ) -> tuple[bytes, int, list[tuple[str, str]]]:
        """(COPY text of the batch's target rows, their count, the (rule, row id) the mapper would note)."""
        where = source.batch_range(key, after, upper)
        await source.conn.execute(_SESSION)
        data, count = await source.copy_out(self._sql(self.select, schema, table, where), after, upper)
        noted: list[tuple[str, int, str]] = []
        for order, (rule, condition) in enumerate(self.notes):
            sql = self._sql(f"SELECT r.id::text FROM {{t}} r WHERE {condition}", schema, table, where)
            noted += [(row[0], order, rule) for row in await source.conn.fetch(sql, after, upper)]
        # Row by row in key order, each row's rules in the mapper's order: the examples kept come out the same.
        return data, count, [(rule, row_id) for row_id, _, rule in sorted(noted)]


class _Schema:
    """`{s.Column}` in a template: the qualified name of another legacy table of the same schema."""

    def __init__(self, schema: str) -> None:
        self._schema = schema

    def __getattr__(self, table: str) -> str:
        return qualified(self._schema, table)


_UTC = "AT TIME ZONE 'UTC'"

TASK_EVENTS = ServerCopy(
    columns=(
        "id",
        "task_id",
        "board_id",
        "type",
        "from_column_id",
        "to_column_id",
        "from_column_type",
        "to_column_type",
        "payload",
        "triggered_by",
        "created_at",
    ),
    # A JSON null payload is no payload, as the mapper reads it.
    select=(
        'SELECT r.id::text, r."taskId"::text, r."boardId"::text, r.type::text, r."fromColumnId"::text, '
        "r.\"toColumnId\"::text, fc.type::text, tc.type::text, NULLIF(r.payload::jsonb, 'null'::jsonb), "
        f'r."triggeredBy", r."createdAt" {_UTC} '
        'FROM {t} r LEFT JOIN {s.Column} fc ON fc.id = r."fromColumnId" LEFT JOIN {s.Column} tc ON tc.id = r."toColumnId"'
    ),
    refused='length(r."triggeredBy") > 100 OR NOT EXISTS (SELECT 1 FROM {s.Board} b WHERE b.id = r."boardId")',
)

CHECKLIST_ITEMS = ServerCopy(
    columns=("id", "task_id", "title", "is_done", "position", "created_at", "updated_at"),
    select=f'SELECT r.id::text, r."taskId"::text, r.title, r."isDone", r.dense, r."createdAt" {_UTC}, r."updatedAt" {_UTC} FROM {{t}} r',
    refused="length(r.title) > 500",
    notes=(("checklist-position-renumbered", "r.dense <> r.position"),),
    # Dense positions per task in the legacy order, as LegacyContext.checklist_positions holds them.
    rows='(SELECT *, (row_number() OVER (PARTITION BY "taskId" ORDER BY position, "createdAt", id) - 1)::int AS dense '
    "FROM {table})",
)

HINTS = ServerCopy(
    columns=(
        "id",
        "task_id",
        "draft_id",
        "job_id",
        "agent_id",
        "hint_type",
        "title",
        "content",
        "data",
        "confidence",
        "untrusted",
        "status",
        "auto_applied",
        "undo",
        "applied_at",
        "dismissed_at",
        "created_at",
        "updated_at",
    ),
    # An applied legacy hint becomes dismissed (see mapping.map_hint); confidence is clamped to [0, 1].
    select=(
        'SELECT r.id::text, r."taskId"::text, NULL, NULL, r."agentId", r."hintType", r.title, r.content, '
        "NULLIF(r.data::jsonb, 'null'::jsonb), "
        "CASE WHEN r.confidence < 0 THEN 0 WHEN r.confidence > 1 THEN 1 ELSE r.confidence END, false, "
        "CASE WHEN r.applied THEN 'dismissed' ELSE 'proposed' END, false, NULL, NULL, "
        f'CASE WHEN r.applied THEN r."updatedAt" {_UTC} END, r."createdAt" {_UTC}, r."updatedAt" {_UTC} FROM {{t}} r'
    ),
    refused='length(r."agentId") > 100 OR length(r."hintType") > 32 OR length(r.title) > 500',
    notes=(
        ("hint-confidence-clamped", "r.confidence < 0 OR r.confidence > 1"),
        ("hint-applied-ambiguous", "r.applied"),
    ),
)

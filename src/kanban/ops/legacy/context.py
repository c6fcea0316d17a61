"""What the mapping must know beyond one row: column types, tag merges, which parents exist or were left out."""

from __future__ import annotations

from dataclasses import dataclass, field

from kanban.ops.legacy.layout import qualified
from kanban.ops.legacy.source import LegacySource


@dataclass
class LegacyContext:
    column_types: dict[str, str]
    tasks_per_column: dict[str, int]
    board_ids: set[str]
    user_ids: set[str]
    project_ids: set[str]
    # Every tag id to the id of the tag it survives as (itself unless merged), and survivors' names.
    tag_survivor: dict[str, str]
    tag_names: dict[str, str]
    brain_projects: set[str]
    # Dense positions (0..n-1) in the legacy order (position, createdAt, id), as the API keeps them.
    column_positions: dict[str, int]
    task_positions: dict[str, int]
    checklist_positions: dict[str, int]
    # Ids left out as invalid, by kind (user, board, column, project, task, tag), so children follow them.
    skipped: dict[str, set[str]] = field(default_factory=dict)

    def is_skipped(self, kind: str, row_id: str | None) -> bool:
        # Checked for every parent of every row: the usual case, nothing skipped, must cost nothing.
        return bool(self.skipped) and row_id is not None and row_id in self.skipped.get(kind, ())

    def skip(self, kind: str, row_id: str) -> None:
        self.skipped.setdefault(kind, set()).add(row_id)


async def load_context(source: LegacySource) -> LegacyContext:
    s = source.layout.schema

    def t(name: str) -> str:
        return qualified(s, name)

    columns = await source.fetch(f"SELECT id::text, type::text FROM {t('Column')}")
    per_column = await source.fetch(f'SELECT "columnId"::text AS id, count(*) AS n FROM {t("Task")} GROUP BY 1')
    tags = await source.fetch(
        f'SELECT id::text, "boardId"::text AS board, name FROM {t("Tag")} ORDER BY "createdAt", id'
    )
    survivor: dict[str, str] = {}
    names: dict[str, str] = {}
    first_by_key: dict[tuple[str, str], str] = {}
    # Oldest tag first: a case-duplicate merges into the tag created before it.
    for tag in tags:
        key = (tag["board"], tag["name"].lower())
        keep = first_by_key.setdefault(key, tag["id"])
        survivor[tag["id"]] = keep
        if keep == tag["id"]:
            names[keep] = tag["name"]
    return LegacyContext(
        column_types={r["id"]: r["type"] for r in columns},
        tasks_per_column={r["id"]: int(r["n"]) for r in per_column},
        board_ids={r[0] for r in await source.fetch(f"SELECT id::text FROM {t('Board')}")},
        user_ids={r[0] for r in await source.fetch(f"SELECT id::text FROM {t('User')}")},
        project_ids={r[0] for r in await source.fetch(f"SELECT id::text FROM {t('Project')}")},
        tag_survivor=survivor,
        tag_names=names,
        brain_projects={r[0] for r in await source.fetch(f'SELECT "projectId"::text FROM {t("LocalBrain")}')},
        column_positions=await _dense_positions(source, t("Column"), '"boardId"'),
        task_positions=await _dense_positions(source, t("Task"), '"columnId"'),
        checklist_positions=await _dense_positions(source, t("ChecklistItem"), '"taskId"'),
    )


async def _dense_positions(source: LegacySource, table: str, parent: str) -> dict[str, int]:
    rows = await source.fetch(
        f'SELECT id::text, (row_number() OVER (PARTITION BY {parent} ORDER BY position, "createdAt", id) - 1)::int '
        f"FROM {table}"
    )
    return {r[0]: r[1] for r in rows}

"""Steps the legacy server copies itself write what their mappers write, row for row, with the same findings."""

from __future__ import annotations

import json
from pathlib import Path

import asyncpg
import pytest

from kanban.db.urls import DatabaseUrl
from kanban.ops.migrate import split as split_module
from kanban.ops.migrate.backup import take_backup
from kanban.ops.migrate.progress import SilentProgress
from kanban.ops.migrate.server_copy import ServerCopy
from kanban.ops.migrate.split import SplitOptions, split
from tests.integration.ops.conftest import make_legacy
from tests.integration.ops.fingerprint import fingerprint
from tests.support.databases import DatabaseFactory

# Rows on the edges of the rules the server states in SQL: clamped confidences, a JSON null
# payload and data, checklist positions that collide and need renumbering, an applied hint.
_EDGES = """
UPDATE {s}."Hint" SET confidence = 1.7 WHERE id = (SELECT id FROM {s}."Hint" ORDER BY id LIMIT 1);
UPDATE {s}."Hint" SET confidence = -0.25, applied = true WHERE id = (SELECT id FROM {s}."Hint" ORDER BY id OFFSET 1 LIMIT 1);
UPDATE {s}."Hint" SET data = 'null'::jsonb WHERE id = (SELECT id FROM {s}."Hint" ORDER BY id OFFSET 2 LIMIT 1);
UPDATE {s}."TaskEvent" SET payload = 'null'::jsonb WHERE id = (SELECT id FROM {s}."TaskEvent" ORDER BY id LIMIT 1);
UPDATE {s}."ChecklistItem" SET position = 7 WHERE "taskId" IN (SELECT "taskId" FROM {s}."ChecklistItem" GROUP BY 1 HAVING count(*) > 2 LIMIT 5);
"""


@pytest.mark.parametrize("layout", ["single", "consolidated"])
async def test_server_copied_steps_equal_the_mapped_ones(
    database_factory: DatabaseFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, layout: str
) -> None:
    legacy = await make_legacy(database_factory, layout, tasks=400)
    schema = "public" if layout == "single" else "api"
    conn = await asyncpg.connect(legacy.url.libpq_dsn)
    try:
        await conn.execute(_EDGES.format(s=f'"{schema}"'))
    finally:
        await conn.close()
    backup = tmp_path / "legacy.dump"
    await take_backup(legacy.url, backup)

    async def run(name: str) -> tuple[DatabaseUrl, dict[str, dict[str, object]], str]:
        api_db = await database_factory.create("api", "postgres", migrated=False)
        worker_db = await database_factory.create("worker", "postgres", migrated=False)
        report = tmp_path / f"{name}.report.json"
        opts = SplitOptions(legacy.url, api_db, worker_db, backup=backup, batch_size=50, report=report)
        await split(opts, SilentProgress())
        steps = {s["step"]: s for s in json.loads(report.read_text())["steps"]}  # noqa: ASYNC240 - small file
        return api_db, steps, (tmp_path / f"{name}.report.rows.csv").read_text()  # noqa: ASYNC240

    copied_batches: list[str] = []
    copy_batch = ServerCopy.copy_batch

    async def counted(self: ServerCopy, source: object, schema: str, table: str, *args: object) -> object:
        copied_batches.append(table)
        return await copy_batch(self, source, schema, table, *args)  # type: ignore[arg-type]

    with monkeypatch.context() as patch:
        patch.setattr(ServerCopy, "copy_batch", counted)
        copied_db, copied_steps, copied_listing = await run("copied")
    assert set(copied_batches) == {"ChecklistItem", "TaskEvent", "Hint"}, "the server-side path was not taken"
    with monkeypatch.context() as patch:
        patch.setattr(split_module, "_server_copy", _never)
        mapped_db, mapped_steps, mapped_listing = await run("mapped")

    assert await fingerprint(copied_db, "api") == await fingerprint(mapped_db, "api")
    assert copied_listing == mapped_listing
    for step in ("checklist_items", "task_events", "hints"):
        assert copied_steps[step] == mapped_steps[step]
    # The edges were there to be found: the rules noted them on both paths.
    assert copied_steps["hints"]["rules"]["hint-confidence-clamped"] == 2  # type: ignore[index]
    assert copied_steps["checklist_items"]["rules"]["checklist-position-renumbered"] > 0  # type: ignore[index]


async def _never(*_: object) -> None:
    return None

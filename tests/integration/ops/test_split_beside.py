"""Server-copied steps run beside the mapped ones (PostgreSQL targets, no --skip-invalid), and stay exact.

They read the same legacy snapshot on a second connection; a failure on either side stops the run
with nothing half-written, and running it again ends where an uninterrupted split ends.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kanban.db.urls import DatabaseUrl
from kanban.ops.legacy.source import LegacySource
from kanban.ops.migrate import split as split_module
from kanban.ops.migrate.backup import take_backup
from kanban.ops.migrate.progress import SilentProgress
from kanban.ops.migrate.split import SplitOptions, split
from tests.integration.ops.conftest import Legacy, make_legacy
from tests.integration.ops.fingerprint import fingerprint
from tests.support.databases import DatabaseFactory


async def _targets(factory: DatabaseFactory) -> tuple[DatabaseUrl, DatabaseUrl]:
    return (
        await factory.create("api", "postgres", migrated=False),
        await factory.create("worker", "postgres", migrated=False),
    )


@pytest.fixture
async def legacy(database_factory: DatabaseFactory) -> Legacy:
    return await make_legacy(database_factory, "single", tasks=300)


async def _reference(factory: DatabaseFactory, legacy: Legacy, backup: Path) -> tuple[DatabaseUrl, DatabaseUrl]:
    targets = await _targets(factory)
    await split(SplitOptions(legacy.url, *targets, backup=backup, batch_size=50), SilentProgress())
    return targets


async def test_copies_run_while_the_tasks_are_mapped(
    database_factory: DatabaseFactory, legacy: Legacy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    backup = tmp_path / "legacy.dump"
    await take_backup(legacy.url, backup)
    written: list[str] = []
    insert_rows, copy_text = split_module.insert_rows, split_module.copy_text

    async def recording_insert(conn, table, rows) -> None:  # type: ignore[no-untyped-def]
        written.append(table.name)
        await insert_rows(conn, table, rows)

    async def recording_copy(conn, table, columns, data) -> None:  # type: ignore[no-untyped-def]
        written.append(table.name)
        await copy_text(conn, table, columns, data)

    monkeypatch.setattr(split_module, "insert_rows", recording_insert)
    monkeypatch.setattr(split_module, "copy_text", recording_copy)
    api_db, worker_db = await _targets(database_factory)
    await split(SplitOptions(legacy.url, api_db, worker_db, backup=backup, batch_size=50), SilentProgress())

    last_task_batch = max(i for i, name in enumerate(written) if name == "tasks")
    assert written.index("checklist_items") < last_task_batch, written
    monkeypatch.undo()
    reference = await _reference(database_factory, legacy, backup)
    assert await fingerprint(api_db, "api") == await fingerprint(reference[0], "api")
    assert await fingerprint(worker_db, "worker") == await fingerprint(reference[1], "worker")


# A copy's batches are ten times larger: task_events has two here, the first committed before the failure.
@pytest.mark.parametrize(("failing", "at_batch"), [("task_events", 2), ("tasks", 3)])
async def test_a_failure_on_either_side_stops_the_run_and_a_rerun_finishes_it(
    database_factory: DatabaseFactory, legacy: Legacy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    failing: str, at_batch: int,
) -> None:  # fmt: skip
    backup = tmp_path / "legacy.dump"
    await take_backup(legacy.url, backup)
    insert_rows, copy_text = split_module.insert_rows, split_module.copy_text
    batches = {"n": 0}

    def fail_at_batch(table_name: str) -> None:
        if table_name == failing:
            batches["n"] += 1
            if batches["n"] == at_batch:
                raise RuntimeError(f"{failing}: disk full")

    async def failing_insert(conn, table, rows) -> None:  # type: ignore[no-untyped-def]
        fail_at_batch(table.name)
        await insert_rows(conn, table, rows)

    async def failing_copy(conn, table, columns, data) -> None:  # type: ignore[no-untyped-def]
        fail_at_batch(table.name)
        await copy_text(conn, table, columns, data)

    api_db, worker_db = await _targets(database_factory)
    options = SplitOptions(legacy.url, api_db, worker_db, backup=backup, batch_size=50)
    with monkeypatch.context() as patch:
        patch.setattr(split_module, "insert_rows", failing_insert)
        patch.setattr(split_module, "copy_text", failing_copy)
        with pytest.raises(RuntimeError, match="disk full"):
            await split(options, SilentProgress())
    assert not (tmp_path / "legacy.dump.report.json").exists()

    await split(options, SilentProgress())
    reference = await _reference(database_factory, legacy, backup)
    assert await fingerprint(api_db, "api") == await fingerprint(reference[0], "api")
    assert await fingerprint(worker_db, "worker") == await fingerprint(reference[1], "worker")


async def test_a_failure_before_the_copies_start_leaves_no_connection_to_the_source_open(
    database_factory: DatabaseFactory, legacy: Legacy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    backup = tmp_path / "legacy.dump"
    await take_backup(legacy.url, backup)
    run_step, sharing_snapshot = split_module._run_step, LegacySource.sharing_snapshot
    readers: list[LegacySource] = []
    calls = {"n": 0}

    async def first_step_fails(run, step, state):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 1:  # the mapped side's first step, before the copies' task has had a turn
            raise RuntimeError("disk full")
        return await run_step(run, step, state)

    async def recorded(source: LegacySource) -> LegacySource:
        readers.append(await sharing_snapshot(source))
        return readers[-1]

    monkeypatch.setattr(split_module, "_run_step", first_step_fails)
    monkeypatch.setattr(LegacySource, "sharing_snapshot", recorded)
    options = SplitOptions(legacy.url, *await _targets(database_factory), backup=backup, batch_size=50)
    with pytest.raises(RuntimeError, match="disk full"):
        await split(options, SilentProgress())
    assert len(readers) == 2  # the run's context, then the copies
    assert all(reader.conn.is_closed() for reader in readers)

"""backup → split → verify → rollback on a legacy database of either layout, into SQLite and PostgreSQL targets."""

from __future__ import annotations

import csv
import json
import stat
from collections import Counter
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import func, inspect, select

from kanban.api import tables as api
from kanban.db.engine import make_engine
from kanban.db.urls import DatabaseUrl
from kanban.ops.errors import InvalidRows, TargetNotEmpty
from kanban.ops.migrate.backup import take_backup
from kanban.ops.migrate.progress import SilentProgress
from kanban.ops.migrate.rollback import rollback
from kanban.ops.migrate.split import SplitOptions, split
from kanban.ops.migrate.verify import verify
from kanban.worker import tables as worker
from tests.integration.ops.conftest import Legacy, make_legacy
from tests.support.databases import DatabaseFactory


async def _scalar(db: DatabaseUrl, statement) -> object:  # type: ignore[no-untyped-def]
    engine = make_engine(db, "kanban-test")
    try:
        async with engine.connect() as conn:
            return (await conn.execute(statement)).scalar_one()
    finally:
        await engine.dispose()


async def _rows(db: DatabaseUrl, statement) -> list:  # type: ignore[no-untyped-def]
    engine = make_engine(db, "kanban-test")
    try:
        async with engine.connect() as conn:
            return list((await conn.execute(statement)).all())
    finally:
        await engine.dispose()


async def _count(db: DatabaseUrl, table, *where) -> int:  # type: ignore[no-untyped-def]
    return int(await _scalar(db, select(func.count()).select_from(table).where(*where)))  # type: ignore[call-overload]


async def _structure(db: DatabaseUrl) -> dict[str, tuple[list[str], list[str]]]:
    """Every table's index names and foreign key names."""
    engine = make_engine(db, "kanban-test")

    def read(sync) -> dict[str, tuple[list[str], list[str]]]:  # type: ignore[no-untyped-def]
        inspector = inspect(sync)
        return {
            t: (sorted(str(i["name"]) for i in inspector.get_indexes(t)),
                sorted(str(f["name"]) for f in inspector.get_foreign_keys(t)))
            for t in inspector.get_table_names()
        }  # fmt: skip

    try:
        async with engine.connect() as conn:
            return await conn.run_sync(read)
    finally:
        await engine.dispose()


async def test_split_copies_everything_applies_the_rules_and_seeds_the_worker(
    legacy: Legacy,
    targets: tuple[DatabaseUrl, DatabaseUrl],
    tmp_path: Path,
    database_factory: DatabaseFactory,
    backend: str,
) -> None:
    api_db, worker_db = targets
    facts = legacy.facts
    backup = tmp_path / "legacy.dump"

    report = await split(SplitOptions(legacy.url, api_db, worker_db, backup=backup), SilentProgress())

    assert backup.exists() and (tmp_path / "legacy.dump.manifest.json").exists()
    for made in ("legacy.dump", "legacy.dump.manifest.json", "legacy.dump.report.json", "legacy.dump.report.rows.csv"):
        assert stat.S_IMODE((tmp_path / made).stat().st_mode) == 0o600, made  # noqa: ASYNC240 - a stat
    saved = json.loads((tmp_path / "legacy.dump.report.json").read_text())
    assert saved["layout"] == facts.layout and saved["invalid"] == []
    rules = report.rules
    assert rules["task-done-by-column"] == facts.done_column_not_done
    assert rules["task-reopened-by-column"] == facts.done_flag_outside_done + facts.done_flag_in_archive
    assert rules["wip-limit-zero"] == facts.wip_limit_zero
    assert rules["column-over-wip-limit"] == facts.over_wip_limit_columns
    assert rules["tag-merged-case-duplicate"] == facts.case_duplicate_tags
    assert rules["hint-applied-ambiguous"] == facts.applied_hints
    assert rules["user-without-password"] == facts.users_without_password
    assert rules["project-without-brain"] == facts.projects_without_brain
    assert rules["task-duration-unreadable"] == facts.unparseable_durations
    # Beside the summary, a listing names every row each rule changed or dropped: as many as it counted.
    with (tmp_path / "legacy.dump.report.rows.csv").open(newline="") as listing:
        listed = Counter(row["rule"] for row in csv.DictReader(listing))
    assert listed == Counter(rules) and saved["listing"]["rows"] == sum(rules.values())
    assert "legacy.dump.report.rows.csv" in report.summary()

    rows = facts.rows
    assert await _count(api_db, api.tasks) == rows["Task"]
    assert await _count(api_db, api.task_events) == rows["TaskEvent"]
    assert await _count(api_db, api.checklist_items) == rows["ChecklistItem"]
    assert await _count(api_db, api.tags) == rows["Tag"] - facts.case_duplicate_tags
    assert await _count(api_db, api.users, api.users.c.password_hash.is_(None)) == facts.users_without_password
    # The board and the flag agree: the column decides.
    done = select(func.count()).select_from(api.tasks.join(api.columns, api.tasks.c.column_id == api.columns.c.id))
    assert await _scalar(api_db, done.where(api.columns.c.type == "DONE", api.tasks.c.is_done.is_(False))) == 0
    assert await _scalar(api_db, done.where(api.columns.c.type.notin_(["DONE", "ARCHIVE"]), api.tasks.c.is_done)) == 0
    assert await _count(api_db, api.columns, api.columns.c.wip_limit == 0) == 0
    assert await _count(api_db, api.tasks, api.tasks.c.completed_at.is_(None), api.tasks.c.is_done) == 0
    # Positions are dense per column, as the API keeps them.
    dense = select(func.count(), func.max(api.tasks.c.position)).group_by(api.tasks.c.column_id)
    assert all(n == top + 1 for n, top in await _rows(api_db, dense))
    config = await _scalar(api_db, select(api.boards.c.config).limit(1))
    assert set(config) == {"stale_after_days", "auto_apply_hints", "auto_apply_threshold"}  # type: ignore[arg-type]
    assert await _count(api_db, api.hints, api.hints.c.status == "applied") == 0
    assert await _count(api_db, api.hints, api.hints.c.status == "dismissed") == facts.applied_hints
    brains = rows["LocalBrain"] + facts.worker_copy_brains
    assert await _count(worker_db, worker.agent_memory) == brains

    # Seeding goes through the API outbox only: one snapshot per task, nothing in the Worker's read model.
    outbox = api.messaging.outbox
    assert await _count(api_db, outbox, outbox.c.event_type == "task.snapshotted") == rows["Task"]
    assert await _count(api_db, outbox, outbox.c.event_type == "board.created") == rows["Board"]
    assert await _count(api_db, outbox, outbox.c.event_type == "tag.created") == rows["Tag"] - facts.case_duplicate_tags
    assert await _count(api_db, outbox, outbox.c.event_type == "project.created") == rows["Project"]
    assert await _count(api_db, outbox, outbox.c.destination != "worker") == 0
    assert await _count(worker_db, worker.task_snapshots) == 0
    sample = await _scalar(api_db, select(outbox.c.envelope).where(outbox.c.aggregate_id == facts.task_ids[0]))
    envelope = json.loads(str(sample))
    assert envelope["source"] == "api" and envelope["aggregate_version"] == 1
    assert envelope["payload"]["task"]["task_id"] == facts.task_ids[0]

    checks = await verify(legacy.url, api_db, worker_db)
    assert [c.line() for c in checks if not c.ok] == []
    assert any("api.tasks" in c.label for c in checks)
    # Indexes and foreign keys taken away for the load are all back; the tool's own table is gone.
    for service, db in (("api", api_db), ("worker", worker_db)):
        migrated = await database_factory.create(service, backend)
        assert await _structure(db) == await _structure(migrated)


async def test_rollback_restores_the_legacy_database_exactly(database_factory: DatabaseFactory, tmp_path: Path) -> None:
    legacy = await make_legacy(database_factory, "consolidated", tasks=500)
    for portable_format in (False, True):
        backup = tmp_path / f"legacy-{portable_format}.dump"
        manifest = await take_backup(legacy.url, backup, portable_format=portable_format)
        # Damage the source the way a failed cut-over might, then put it back.
        conn = await asyncpg.connect(legacy.url.libpq_dsn)
        await conn.execute(
            'DELETE FROM api."TaskTag"; UPDATE api."Task" SET title = \'changed\'; DROP TABLE worker."Rule"'
        )
        await conn.close()

        restored, problems = await rollback(backup, legacy.url)

        assert problems == []
        assert restored.tables == manifest.tables
        fresh = await database_factory.create("legacy", "postgres", migrated=False)
        assert (await rollback(backup, fresh))[1] == []


async def test_dry_run_reports_and_writes_nothing(
    legacy: Legacy, targets: tuple[DatabaseUrl, DatabaseUrl], tmp_path: Path
) -> None:
    api_db, worker_db = targets
    report = await split(
        SplitOptions(legacy.url, api_db, worker_db, backup=tmp_path / "b.dump", dry_run=True), SilentProgress()
    )

    assert report.dry_run and report.rules["tag-merged-case-duplicate"] == legacy.facts.case_duplicate_tags
    assert next(s for s in report.steps if s.step == "tasks").rows_written == legacy.facts.rows["Task"]
    assert _files_written(tmp_path, api_db, worker_db) == []


def _files_written(directory: Path, *dbs: DatabaseUrl) -> list[str]:
    files = [p.name for p in directory.iterdir()]
    return files + [db.database for db in dbs if db.is_sqlite and Path(db.database).exists()]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_split_refuses_a_target_holding_data(
    database_factory: DatabaseFactory, targets: tuple[DatabaseUrl, DatabaseUrl], tmp_path: Path
) -> None:
    legacy = await make_legacy(database_factory, "single", tasks=100)
    api_db, worker_db = targets
    await split(SplitOptions(legacy.url, api_db, worker_db, backup=tmp_path / "b.dump"), SilentProgress())

    with pytest.raises(TargetNotEmpty, match="is not empty"):
        await split(SplitOptions(legacy.url, api_db, worker_db, backup=tmp_path / "b.dump"), SilentProgress())


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_a_failed_index_build_leaves_no_report_and_a_rerun_finishes(
    database_factory: DatabaseFactory, targets: tuple[DatabaseUrl, DatabaseUrl], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """The listing is written while the indexes build; a build that fails takes the listing with it."""
    from kanban.ops.migrate import split as split_module

    legacy = await make_legacy(database_factory, "single", tasks=100)
    api_db, worker_db = targets
    options = SplitOptions(legacy.url, api_db, worker_db, backup=tmp_path / "b.dump")
    finish_load = split_module.finish_load

    async def failing_on_the_worker(engine, tables) -> None:  # type: ignore[no-untyped-def]
        if engine.url.database == worker_db.database:
            raise RuntimeError("disk full")
        await finish_load(engine, tables)

    monkeypatch.setattr(split_module, "finish_load", failing_on_the_worker)
    with pytest.raises(RuntimeError, match="disk full"):
        await split(options, SilentProgress())
    assert not (tmp_path / "b.dump.report.json").exists()
    assert not (tmp_path / "b.dump.report.rows.csv").exists()

    monkeypatch.setattr(split_module, "finish_load", finish_load)
    report = await split(options, SilentProgress())
    assert (tmp_path / "b.dump.report.json").exists()
    with (tmp_path / "b.dump.report.rows.csv").open(newline="") as listing:
        assert sum(1 for _ in csv.DictReader(listing)) == report.listed
    assert await _count(api_db, api.tasks) == 100


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_invalid_rows_fail_the_run_until_skipped(
    database_factory: DatabaseFactory, targets: tuple[DatabaseUrl, DatabaseUrl], tmp_path: Path
) -> None:
    legacy = await make_legacy(database_factory, "single", tasks=200, invalid=True)
    api_db, worker_db = targets
    options = SplitOptions(legacy.url, api_db, worker_db, backup=tmp_path / "b.dump")
    orphan = legacy.facts.invalid_rules[0]

    with pytest.raises(InvalidRows, match=orphan):
        await split(options, SilentProgress())
    failed = [c.label for c in await verify(legacy.url, api_db, worker_db) if not c.ok]
    assert "no unfinished split in the api database" in failed
    report = await split(SplitOptions(**{**options.__dict__, "skip_invalid": True}), SilentProgress())

    assert report.invalid == [{"step": "rules", "id": orphan, "reason": report.invalid[0]["reason"]}]
    assert "does not exist" in report.invalid[0]["reason"]
    assert await _count(api_db, api.rules) == legacy.facts.rows["Rule"] - 1
    assert [c.line() for c in await verify(legacy.url, api_db, worker_db) if not c.ok] == []


async def test_the_listing_is_the_same_file_whichever_backend_the_targets_are_on(
    database_factory: DatabaseFactory, tmp_path: Path
) -> None:
    """PostgreSQL writes the listing's CSV itself (COPY); SQLite's goes through Python's csv: one format, one order."""
    legacy = await make_legacy(database_factory, "single", tasks=150, invalid=True)
    listings = []
    for backend in ("sqlite", "postgres"):
        api_db = await database_factory.create("api", backend, migrated=False)
        worker_db = await database_factory.create("worker", backend, migrated=False)
        backup = tmp_path / f"{backend}.dump"
        await split(SplitOptions(legacy.url, api_db, worker_db, backup=backup, skip_invalid=True), SilentProgress())
        listings.append((tmp_path / f"{backend}.dump.report.rows.csv").read_bytes())  # noqa: ASYNC240 - small files
    sqlite_listing, postgres_listing = listings
    assert postgres_listing == sqlite_listing
    with (tmp_path / "postgres.dump.report.rows.csv").open(newline="") as listing:
        rows = list(csv.DictReader(listing))
    assert {"left-out", "task-position-renumbered"} <= {row["rule"] for row in rows}
    assert any("," in row["meaning"] for row in rows)  # quoted where needed, read back whole
    keys = [(row["step"], row["rule"], row["row_id"]) for row in rows if row["rule"] != "left-out"]
    assert keys == sorted(keys)  # byte order on both backends

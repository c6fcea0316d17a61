"""`kanban migrate` as a command: one-line errors, non-zero exits, verify's checklist."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import update

from kanban.api import tables as api
from kanban.db.engine import make_engine
from kanban.db.urls import DatabaseUrl
from kanban.ops.migrate.manifest import Manifest
from tests.integration.ops.cli import migrate, url
from tests.integration.ops.conftest import make_legacy
from tests.support.databases import DatabaseFactory

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def _one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    return lines[0]


async def test_bad_urls_and_unreachable_source_fail_with_one_line(
    targets: tuple[DatabaseUrl, DatabaseUrl], tmp_path: Path
) -> None:
    api_db, worker_db = targets
    bad = await migrate("split", "--source", "mysql://x/y", "--api", url(api_db), "--worker", url(worker_db))
    unreachable = await migrate(
        "split", "--source", "postgresql://nobody@127.0.0.1:1/kanban", "--api", url(api_db),
        "--worker", url(worker_db), "--backup", str(tmp_path / "b.dump"),
    )  # fmt: skip
    same = await migrate(
        "verify", "--source", "postgresql://x@127.0.0.1/k", "--api", url(api_db), "--worker", url(api_db)
    )

    assert bad.code == 1 and "unsupported scheme 'mysql'" in _one_line(bad.err)
    assert unreachable.code == 1 and "cannot connect to source" in _one_line(unreachable.err)
    assert same.code == 1 and "✗ two separate databases" in same.out
    for result, command in ((bad, "split"), (unreachable, "split")):
        assert _one_line(result.err).startswith(f"kanban: error: migrate {command}: "), result.err


async def test_rollback_names_its_target_and_verify_of_empty_targets_speaks_in_words(
    targets: tuple[DatabaseUrl, DatabaseUrl], tmp_path: Path
) -> None:
    backup = tmp_path / "legacy.dump"
    backup.touch()
    Manifest("id", "2026-01-01T00:00:00+00:00", "kanban-portable-v1", backup.name, "postgresql://x", {}, {}).write(
        backup
    )
    rolled = await migrate("rollback", "--backup", str(backup), "--target", "postgresql://nobody@127.0.0.1:1/kanban")
    bad_target = await migrate("rollback", "--backup", str(backup), "--target", "mysql://x/y")
    assert rolled.code == 1
    assert _one_line(rolled.err).startswith("kanban: error: migrate rollback: cannot connect to rollback target")
    assert bad_target.code == 1 and "--target: unsupported scheme" in _one_line(bad_target.err)

    api_db, worker_db = targets
    for db in targets:
        Path(db.database).touch()  # noqa: ASYNC240 - empty databases: no schema at all
    checked = await migrate(
        "verify", "--source", "postgresql://nobody@127.0.0.1:1/kanban", "--api", url(api_db), "--worker", url(worker_db)
    )
    assert checked.code == 1
    assert "✗ api database schema at head: the database is empty (no schema): run `kanban migrate split` first" in (
        checked.out
    )
    assert "✗ the data matches the legacy source: not compared" in checked.out
    assert "Error" not in checked.out and "relation" not in checked.out and "no such table" not in checked.out


async def test_backup_split_verify_and_a_second_split_refused(
    database_factory: DatabaseFactory, targets: tuple[DatabaseUrl, DatabaseUrl], tmp_path: Path
) -> None:
    legacy = await make_legacy(database_factory, "single", tasks=300)
    api_db, worker_db = targets
    backup = tmp_path / "legacy.dump"
    split_args = ["split", "--source", url(legacy.url), "--api", url(api_db), "--worker", url(worker_db),
                  "--backup", str(backup)]  # fmt: skip
    verify_args = ["verify", "--source", url(legacy.url), "--api", url(api_db), "--worker", url(worker_db)]

    backed_up = await migrate("backup", "--source", url(legacy.url), "--out", str(backup))
    first = await migrate(*split_args)
    verified = await migrate(*verify_args)
    again = await migrate(*split_args)

    assert backed_up.code == 0 and "single layout" in backed_up.out
    assert first.code == 0, first.err
    assert "Reusing backup" in first.err and "tasks" in first.err and "rows/s" in first.err
    assert "task-done-by-column" in first.out
    assert verified.code == 0, verified.out
    assert "✓ api.tasks: 300 rows" in verified.out and "✗" not in verified.out
    assert again.code == 1 and "is not empty" in _one_line(again.err)

    engine = make_engine(api_db, "kanban-test")
    async with engine.begin() as conn:
        await conn.execute(update(api.tasks).where(api.tasks.c.position == 1).values(title="edited after the split"))
    await engine.dispose()
    drifted = await migrate(*verify_args)
    assert (
        drifted.code == 1
        and "✗ api.tasks: 300 rows match the source through the mapping: content differs" in drifted.out
    )

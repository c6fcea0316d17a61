"""`kanban migrate` as a command: one-line errors, non-zero exits, verify's checklist."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import update

from kanban.api import tables as api
from kanban.db.engine import make_engine
from kanban.db.urls import DatabaseUrl
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

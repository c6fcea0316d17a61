"""A split killed at random points and run again ends exactly where an uninterrupted split ends."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

from sqlalchemy import func, select

from kanban.db.engine import make_engine
from kanban.db.urls import DatabaseUrl
from kanban.ops.migrate import checkpoint
from kanban.ops.migrate.backup import take_backup
from kanban.ops.migrate.progress import SilentProgress
from kanban.ops.migrate.split import SplitOptions, split
from kanban.ops.migrate.targets import rows_in
from tests.integration.ops.cli import migrate, start, url
from tests.integration.ops.conftest import make_legacy
from tests.integration.ops.fingerprint import fingerprint
from tests.support.databases import DatabaseFactory


async def test_killed_split_resumes_to_the_state_of_an_uninterrupted_one(
    database_factory: DatabaseFactory, backend: str, tmp_path: Path
) -> None:
    legacy = await make_legacy(database_factory, "consolidated", tasks=800)
    backup = tmp_path / "legacy.dump"
    await take_backup(legacy.url, backup)

    async def fresh() -> tuple[DatabaseUrl, DatabaseUrl]:
        return (
            await database_factory.create("api", backend, migrated=False),
            await database_factory.create("worker", backend, migrated=False),
        )

    reference = await fresh()
    await split(SplitOptions(legacy.url, *reference, backup=backup, batch_size=100), SilentProgress())
    listing = tmp_path / "legacy.dump.report.rows.csv"
    reference_listing = listing.read_text()  # noqa: ASYNC240 - one small file

    api_db, worker_db = await fresh()
    args = ["split", "--source", url(legacy.url), "--api", url(api_db), "--worker", url(worker_db),
            "--backup", str(backup), "--batch-size", "100"]  # fmt: skip
    rng = random.Random(20240601)
    total = sum(legacy.facts.rows.values())
    interrupted = 0
    # Kill points spread over the copy: after a random number of rows has been committed.
    for threshold in sorted(rng.sample(range(100, total * 3 // 4), 4)):
        process = await start(*args)
        while process.returncode is None and await _rows_done(api_db) < threshold:
            try:
                await asyncio.wait_for(process.wait(), 0.02)
            except TimeoutError:
                pass
        if process.returncode is not None:
            break  # it finished before the kill point
        process.kill()  # SIGKILL: no cleanup, no rollback in the process
        await process.wait()
        interrupted += await _mid_run(api_db)
    if not await _completed(api_db):
        finished = await migrate(*args)
        assert finished.code == 0, finished.err

    assert interrupted >= 2, "the split was never interrupted mid-run; the test proves nothing"
    assert await fingerprint(api_db, "api") == await fingerprint(reference[0], "api")
    assert await fingerprint(worker_db, "worker") == await fingerprint(reference[1], "worker")
    # The listing of changed and dropped rows, built batch by batch, is the same too.
    assert listing.read_text() == reference_listing  # noqa: ASYNC240 - one small file


async def _state(db: DatabaseUrl) -> tuple[bool, bool]:
    """(a run is recorded, the database holds users)."""
    engine = make_engine(db, "kanban-test")
    try:
        async with engine.connect() as conn:
            recorded = await checkpoint.exists(conn)
        return recorded, bool((await rows_in(engine, "api")).get("users"))
    finally:
        await engine.dispose()


async def _rows_done(db: DatabaseUrl) -> int:
    engine = make_engine(db, "kanban-test")
    try:
        async with engine.connect() as conn:
            if not await checkpoint.exists(conn):
                return 0
            done = await conn.execute(select(func.sum(checkpoint.checkpoints.c.rows_read)))
            return int(done.scalar_one() or 0)
    finally:
        await engine.dispose()


async def _completed(db: DatabaseUrl) -> bool:
    recorded, users = await _state(db)
    return users and not recorded


async def _mid_run(db: DatabaseUrl) -> bool:
    recorded, users = await _state(db)
    return recorded and users

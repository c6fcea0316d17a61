"""The legacy tables' checksums: the same digests on one connection or several, all of one snapshot; the
digest of new backups and that of earlier ones both tell a changed source."""

from __future__ import annotations

import json
from pathlib import Path

import asyncpg
import pytest

from kanban.ops.errors import BackupError, SourceChanged
from kanban.ops.legacy import checksums
from kanban.ops.legacy.checksums import digest_of, table_checksums
from kanban.ops.legacy.layout import detect_layout, qualified
from kanban.ops.migrate.backup import take_backup
from kanban.ops.migrate.manifest import manifest_path
from kanban.ops.migrate.progress import SilentProgress
from kanban.ops.migrate.rollback import rollback
from kanban.ops.migrate.split import SplitOptions, split
from tests.integration.ops.conftest import Legacy, make_legacy
from tests.support.databases import DatabaseFactory


@pytest.fixture
async def small_legacy(database_factory: DatabaseFactory) -> Legacy:
    return await make_legacy(database_factory, "single", tasks=60)


async def _digests(legacy: Legacy, *, shared: bool) -> dict[str, dict[str, object]]:
    conn = await asyncpg.connect(legacy.url.libpq_dsn)
    try:
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            return await table_checksums(conn, await detect_layout(conn), legacy.url if shared else None)
    finally:
        await conn.close()


async def test_several_connections_give_the_digests_of_one(small_legacy: Legacy) -> None:
    one = await _digests(small_legacy, shared=False)
    several = await _digests(small_legacy, shared=True)
    assert several == one
    assert list(several) == list(one)  # in the layout's order, whichever connection finished first
    assert one[f"{detect_schema(one)}.Task"]["rows"] == 60


def detect_schema(digests: dict[str, dict[str, object]]) -> str:
    return next(name.split(".")[0] for name in digests if name.endswith(".Task"))


async def test_every_connection_reads_the_snapshot_of_the_first(
    small_legacy: Legacy, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write committed after the snapshot is seen by none of them, whichever table a helper takes."""
    monkeypatch.setattr(checksums, "CHECKSUM_CONNECTIONS", 3)
    before = await _digests(small_legacy, shared=False)
    conn = await asyncpg.connect(small_legacy.url.libpq_dsn)
    writer = await asyncpg.connect(small_legacy.url.libpq_dsn)
    try:
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            layout = await detect_layout(conn)
            await conn.fetchval("SELECT 1")  # the snapshot is taken at the first statement
            await writer.execute("SET session_replication_role = replica")  # a row of every table, FKs aside
            for schema, table in layout.tables():
                await writer.execute(f"DELETE FROM {qualified(schema, table)} WHERE ctid IN "
                                     f"(SELECT ctid FROM {qualified(schema, table)} LIMIT 1)")  # fmt: skip
            during = await table_checksums(conn, layout, small_legacy.url)
    finally:
        await conn.close()
        await writer.close()
    assert during == before
    assert await _digests(small_legacy, shared=True) != before


async def test_a_table_that_cannot_be_read_fails_the_whole_checksum(small_legacy: Legacy) -> None:
    conn = await asyncpg.connect(small_legacy.url.libpq_dsn)
    try:
        layout = await detect_layout(conn)
        await conn.execute(f"DROP TABLE {qualified(layout.schema, 'TaskTag')}")
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            with pytest.raises(asyncpg.UndefinedTableError):
                await table_checksums(conn, layout, small_legacy.url)
        assert await conn.fetchval("SELECT 1") == 1  # every worker ended: the connection is free again
    finally:
        await conn.close()


_SHA256_OF_EARLIER_BACKUPS = (
    "SELECT count(*) AS n, encode(sha256(convert_to(coalesce(string_agg(h, '' ORDER BY h), ''), 'UTF8')), 'hex') "
    "AS digest FROM (SELECT md5(t::text) AS h FROM {table} t) s"
)


async def _as_an_earlier_backup(legacy: Legacy, backup: Path) -> None:
    """Rewrite the backup's manifest as versions before ADR 0043 wrote it: sha256 digests, computed here."""
    manifest = json.loads(manifest_path(backup).read_text())
    conn = await asyncpg.connect(legacy.url.libpq_dsn)
    try:
        for name in manifest["tables"]:
            schema, table = name.split(".")
            row = await conn.fetchrow(_SHA256_OF_EARLIER_BACKUPS.format(table=qualified(schema, table)))
            manifest["tables"][name] = {"rows": row["n"], "sha256": row["digest"]}
    finally:
        await conn.close()
    manifest_path(backup).write_text(json.dumps(manifest))


async def _retitle_one_task(legacy: Legacy) -> None:
    conn = await asyncpg.connect(legacy.url.libpq_dsn)
    try:
        schema = (await detect_layout(conn)).schema
        task = qualified(schema, "Task")
        await conn.execute(
            f"UPDATE {task} SET title = title || '!' WHERE id = (SELECT id FROM {task} ORDER BY id LIMIT 1)"
        )
    finally:
        await conn.close()


@pytest.mark.parametrize("earlier", [False, True], ids=["hash64", "sha256-of-earlier-backups"])
async def test_a_source_changed_since_its_backup_is_refused_whichever_digest_the_backup_holds(
    database_factory: DatabaseFactory, small_legacy: Legacy, tmp_path: Path, earlier: bool
) -> None:
    """A changed title keeps every count: only the content digest tells. Both digests tell, and an
    unchanged source passes the check under either."""
    backup = tmp_path / "legacy.dump"
    await take_backup(small_legacy.url, backup)
    if earlier:
        await _as_an_earlier_backup(small_legacy, backup)
    recorded = json.loads(manifest_path(backup).read_text())["tables"]
    assert all(("sha256" if earlier else "hash64") in sums for sums in recorded.values())

    async def split_into_fresh_targets() -> None:
        api_db = await database_factory.create("api", "sqlite", migrated=False)
        worker_db = await database_factory.create("worker", "sqlite", migrated=False)
        await split(SplitOptions(small_legacy.url, api_db, worker_db, backup=backup), SilentProgress())

    await _retitle_one_task(small_legacy)
    with pytest.raises(SourceChanged, match=r"Task: content differs \(60 rows\)"):
        await split_into_fresh_targets()
    _, problems = await rollback(backup, small_legacy.url)  # the rollback checks with the same digest
    assert problems == []
    await split_into_fresh_targets()


async def test_a_manifest_with_checksums_of_an_unknown_kind_is_refused_in_words() -> None:
    with pytest.raises(BackupError, match="of a kind this version cannot compute: blake3"):
        digest_of({"public.Task": {"rows": 1, "blake3": "ab"}})
    assert digest_of({}) == "hash64"

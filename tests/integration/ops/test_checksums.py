"""The legacy tables' checksums: the same digests on one connection or several, all of one snapshot."""

from __future__ import annotations

import asyncpg
import pytest

from kanban.ops.legacy import checksums
from kanban.ops.legacy.checksums import table_checksums
from kanban.ops.legacy.layout import detect_layout, qualified
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

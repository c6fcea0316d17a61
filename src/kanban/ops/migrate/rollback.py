"""`kanban migrate rollback`: put the legacy database back from a backup, then prove it with the manifest's checksums."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

from kanban.db.urls import DatabaseUrl
from kanban.ops.errors import BackupError
from kanban.ops.legacy.checksums import digest_of, table_checksums
from kanban.ops.legacy.source import connect_source
from kanban.ops.migrate import portable
from kanban.ops.migrate.manifest import PG_DUMP_FORMAT, Manifest, compare


async def rollback(backup: Path, target: DatabaseUrl) -> tuple[Manifest, list[str]]:
    """Restore `backup` into `target`; returns the manifest and the tables that do not match it (none: success)."""
    manifest = Manifest.read(backup)
    conn = await connect_source(target, "rollback target")
    try:
        if manifest.format == PG_DUMP_FORMAT:
            await _pg_restore(backup, target)
        else:
            await portable.restore(conn, backup)
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            actual = await table_checksums(conn, manifest.legacy_layout, target, digest_of(manifest.tables))
    finally:
        await conn.close()
    return manifest, compare(manifest.tables, actual)


async def _pg_restore(backup: Path, target: DatabaseUrl) -> None:
    if shutil.which("pg_restore") is None:
        raise BackupError(f"{backup} is a pg_dump archive and pg_restore is not installed")
    process = await asyncio.create_subprocess_exec(
        "pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges", "--exit-on-error",
        "--single-transaction", f"--dbname={target.libpq_dsn}", str(backup),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, err = await process.communicate()
    if process.returncode != 0:
        lines = err.decode(errors="replace").strip().splitlines()
        raise BackupError(f"pg_restore failed: {lines[-1] if lines else 'exit ' + str(process.returncode)}")

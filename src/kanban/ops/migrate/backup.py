"""`kanban migrate backup`: a consistent snapshot of the legacy database, with a manifest of checksums.

The checksums and the dump read the same exported snapshot, so the manifest describes exactly
what the file holds. pg_dump's custom format when pg_dump is installed, our portable format otherwise.
"""

from __future__ import annotations

import asyncio
import shutil
import uuid
from datetime import UTC, datetime
from pathlib import Path

from kanban.db.files import create_private_file
from kanban.db.urls import DatabaseUrl
from kanban.ops.errors import BackupError
from kanban.ops.legacy.checksums import table_checksums
from kanban.ops.legacy.layout import detect_layout
from kanban.ops.legacy.source import connect_source
from kanban.ops.migrate import portable
from kanban.ops.migrate.manifest import PG_DUMP_FORMAT, PORTABLE_FORMAT, Manifest


def default_backup_path(source: DatabaseUrl, directory: Path = Path(".")) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%d_%H%M%S")
    return directory / f"backup_{source.database}_{stamp}.dump"


async def take_backup(source: DatabaseUrl, out: Path, *, portable_format: bool = False) -> Manifest:
    use_pg_dump = not portable_format and shutil.which("pg_dump") is not None
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    conn = await connect_source(source)
    try:
        await conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        snapshot = await conn.fetchval("SELECT pg_export_snapshot()")
        layout = await detect_layout(conn)
        checksums = await table_checksums(conn, layout, source)
        if use_pg_dump:
            create_private_file(partial)  # pg_dump writes into it and keeps its mode
            await _pg_dump(source, snapshot, partial)
        else:
            await portable.dump(conn, layout, partial)
        await conn.execute("COMMIT")
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        await conn.close()
    partial.replace(out)
    manifest = Manifest(
        snapshot_id=str(uuid.uuid4()),
        created_at=datetime.now(UTC).isoformat(),
        format=PG_DUMP_FORMAT if use_pg_dump else PORTABLE_FORMAT,
        file=out.name,
        source=source.redacted(),
        layout=layout.as_dict(),
        tables=checksums,
    )
    # The manifest is written last: a backup without one is incomplete.
    manifest.write(out)
    return manifest


async def _pg_dump(source: DatabaseUrl, snapshot: str, out: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        "pg_dump", "--format=custom", f"--snapshot={snapshot}", f"--file={out}", f"--dbname={source.libpq_dsn}",
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, err = await process.communicate()
    if process.returncode != 0:
        lines = err.decode(errors="replace").strip().splitlines()
        raise BackupError(f"pg_dump failed: {lines[-1] if lines else 'exit ' + str(process.returncode)}")

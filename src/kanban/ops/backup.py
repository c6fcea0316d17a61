"""`kanban backup`: a consistent copy of the embedded default (both SQLite databases and the env file) while it runs.

Each database is copied with SQLite's online backup API in one step, inside one read transaction,
so the copy is the database as of one commit even while the services write (WAL lets them go on).
The copies are checked (integrity_check) and packed with the env file (its secrets: the JWT key
keeps sessions valid after a restore) and a manifest into one tar.gz created 0600, built in a
0700 directory. PostgreSQL deployments back up each database with `pg_dump` instead.
"""

from __future__ import annotations

import json
import os
import sqlite3
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from kanban.db.urls import DatabaseUrl, parse_database_url
from kanban.ops.errors import BackupError
from kanban.settings import read_env_file

ENV_FILE = "kanban.env"
DATABASE_FILES = {"api": "kanban_api.db", "worker": "kanban_worker.db"}
MANIFEST = "manifest.json"
BACKUP_FORMAT = 1
_URL_VARS = {"api": "API_DATABASE_URL", "worker": "WORKER_DATABASE_URL"}


@dataclass(frozen=True)
class DatabaseCopy:
    service: str
    revision: str | None
    tasks: int | None
    bytes: int


@dataclass(frozen=True)
class BackupResult:
    path: Path
    databases: list[DatabaseCopy]


def embedded_databases(data_dir: Path) -> tuple[dict[str, str], dict[str, Path]]:
    """The env file of `kanban up` in `data_dir` and the SQLite file of each service it names."""
    env_path = data_dir / ENV_FILE
    if not env_path.is_file():
        raise BackupError(f"no {ENV_FILE} in {data_dir}: is this the data directory of 'kanban up'?")
    env = read_env_file(env_path)
    paths: dict[str, Path] = {}
    for service, var in _URL_VARS.items():
        if var not in env:
            raise BackupError(f"{env_path} does not set {var}")
        db: DatabaseUrl = parse_database_url(env[var])
        if not db.is_sqlite:
            raise BackupError(
                f"{var} is {db.redacted()}: 'kanban backup' copies the embedded SQLite files; "
                "back up PostgreSQL with pg_dump, one run per database (see README, Your data)"
            )
        paths[service] = Path(db.database)
    return env, paths


def check_database(path: Path) -> tuple[str | None, int | None]:
    """integrity_check must say ok; returns the schema revision and, for the API, the number of tasks."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        verdict = conn.execute("PRAGMA integrity_check").fetchone()[0]
        if verdict != "ok":
            raise BackupError(f"{path.name} fails integrity_check: {verdict}")
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        revision = (
            conn.execute("SELECT version_num FROM alembic_version").fetchone() if "alembic_version" in tables else None
        )
        tasks = conn.execute("SELECT count(*) FROM tasks").fetchone()[0] if "tasks" in tables else None
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path.name} is not a readable SQLite database: {exc}") from None
    finally:
        conn.close()
    return (revision[0] if revision else None), tasks


def online_copy(source: Path, target: Path) -> None:
    """SQLite's backup API, all pages in one step: a snapshot as of one commit, writers never blocked (WAL)."""
    if not source.is_file():
        raise BackupError(f"the database file {source} does not exist")
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst, pages=-1)
        # A self-contained file: no -wal beside it in the archive. The services switch WAL back on.
        dst.execute("PRAGMA journal_mode=DELETE")
    finally:
        dst.close()
        src.close()
    os.chmod(target, 0o600)


def _private_file(path: Path) -> int:
    """Open a new file readable by its owner only; an existing file is never overwritten."""
    try:
        return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise BackupError(f"{path} already exists; choose another --out") from None


def take_backup(data_dir: Path, out: Path | None = None) -> BackupResult:
    env, paths = embedded_databases(data_dir)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = out or Path(f"kanban-backup-{stamp}.tar.gz")
    copies: list[DatabaseCopy] = []
    with tempfile.TemporaryDirectory(prefix="kanban-backup-") as tmp:  # created 0700
        work = Path(tmp)
        for service, source in paths.items():
            target = work / DATABASE_FILES[service]
            online_copy(source, target)
            revision, tasks = check_database(target)
            copies.append(DatabaseCopy(service, revision, tasks, target.stat().st_size))
        env_copy = work / ENV_FILE
        os.close(_private_file(env_copy))
        env_copy.write_text((data_dir / ENV_FILE).read_text())
        manifest = {
            "format": BACKUP_FORMAT,
            "createdAt": datetime.now(UTC).isoformat(),
            "databases": {
                c.service: {
                    "file": DATABASE_FILES[c.service],
                    "revision": c.revision,
                    "tasks": c.tasks,
                    "bytes": c.bytes,
                }
                for c in copies
            },  # fmt: skip
            "ports": {k: env[k] for k in ("KANBAN_API_PORT", "KANBAN_WORKER_PORT") if k in env},
        }
        (work / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
        os.chmod(work / MANIFEST, 0o600)
        fd = _private_file(out)
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as archive:
            for name in (MANIFEST, ENV_FILE, *DATABASE_FILES.values()):
                archive.add(work / name, arcname=name)
    return BackupResult(out, copies)

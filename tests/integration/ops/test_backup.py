"""`kanban backup` / `kanban restore` refusals: what they check before anything is replaced.

(The embedded default is SQLite by definition; the PostgreSQL case is the refusal pointing to pg_dump.
The backup under 20 writing clients is tests/e2e/test_backup_restore.py.)
"""

from __future__ import annotations

import io
import shutil
import sqlite3
import stat
import tarfile
from pathlib import Path

import pytest

from kanban.ops.backup import take_backup
from kanban.ops.errors import BackupError
from kanban.ops.restore import restore_backup
from tests.support.databases import DatabaseFactory


async def _data_dir(factory: DatabaseFactory, where: Path) -> Path:
    """A data directory as `kanban up` leaves it: both databases at head and the env file."""
    files = {service: Path((await factory.create(service, "sqlite")).database) for service in ("api", "worker")}
    return _write_data_dir(files, where)


def _write_data_dir(files: dict[str, Path], where: Path) -> Path:
    where.mkdir()
    for service, path in files.items():
        shutil.copyfile(path, where / f"kanban_{service}.db")
    (where / "kanban.env").write_text(
        f"API_DATABASE_URL=sqlite:///{where / 'kanban_api.db'}\n"
        f"WORKER_DATABASE_URL=sqlite:///{where / 'kanban_worker.db'}\n"
        "KANBAN_JWT_SECRET=s3cret-s3cret-s3cret-s3cret-s3cret-x\nKANBAN_API_PORT=1\nKANBAN_WORKER_PORT=2\n"
    )
    return where


def _rewrite(archive: Path, name: str, mutate: object) -> Path:
    """A copy of `archive` whose member `name` went through `mutate(path)`."""
    out = archive.with_name(f"tampered-{name}.tar.gz")
    work = archive.parent / f"work-{name}"
    with tarfile.open(archive) as tar:
        tar.extractall(work, filter="data")
    mutate(work / name)  # type: ignore[operator]
    with tarfile.open(out, "w:gz") as tar:
        for member in ("manifest.json", "kanban.env", "kanban_api.db", "kanban_worker.db"):
            tar.add(work / member, arcname=member)
    return out


async def test_a_backup_is_private_and_restores_with_its_secrets(
    database_factory: DatabaseFactory, tmp_path: Path
) -> None:
    source = await _data_dir(database_factory, tmp_path / "source")
    result = take_backup(source, tmp_path / "b.tar.gz")
    assert stat.S_IMODE(result.path.stat().st_mode) == 0o600
    assert {c.service: c.tasks for c in result.databases} == {"api": 0, "worker": None}
    with pytest.raises(BackupError, match="already exists"):
        take_backup(source, tmp_path / "b.tar.gz")
    restored = restore_backup(result.path, tmp_path / "target")
    assert restored.upgrade_needed == []
    env = (tmp_path / "target" / "kanban.env").read_text()
    assert f"sqlite:///{(tmp_path / 'target' / 'kanban_api.db').resolve()}" in env and "s3cret" in env
    assert stat.S_IMODE((tmp_path / "target" / "kanban.env").stat().st_mode) == 0o600


async def test_restore_refuses_what_it_cannot_trust(database_factory: DatabaseFactory, tmp_path: Path) -> None:
    source = await _data_dir(database_factory, tmp_path / "source")
    archive = take_backup(source, tmp_path / "b.tar.gz").path

    def newer_schema(path: Path) -> None:
        with sqlite3.connect(path) as db:
            db.execute("UPDATE alembic_version SET version_num = '9999_future'")

    def corrupt(path: Path) -> None:
        data = bytearray(path.read_bytes())
        data[100:4096] = b"\xff" * (4096 - 100)
        path.write_bytes(bytes(data))

    target = tmp_path / "target"
    with pytest.raises(BackupError, match="unknown to this version"):
        restore_backup(_rewrite(archive, "kanban_api.db", newer_schema), target)
    with pytest.raises(BackupError, match="integrity_check|not a readable"):
        restore_backup(_rewrite(archive, "kanban_worker.db", corrupt), target)
    assert not target.exists() or not any(target.iterdir())  # nothing was replaced

    stray = tmp_path / "stray.tar.gz"
    with tarfile.open(stray, "w:gz") as tar:
        info = tarfile.TarInfo("../escape")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))
    with pytest.raises(BackupError, match="not a kanban backup"):
        restore_backup(stray, target)
    (tmp_path / "plain.txt").write_text("hello")
    with pytest.raises(BackupError, match="cannot read"):
        restore_backup(tmp_path / "plain.txt", target)


async def test_backup_of_a_postgresql_system_points_to_pg_dump(tmp_path: Path) -> None:
    (tmp_path / "kanban.env").write_text(
        "API_DATABASE_URL=postgresql://u:p@127.0.0.1/kanban_api\nWORKER_DATABASE_URL=sqlite:////tmp/w.db\n"
    )
    with pytest.raises(BackupError, match="pg_dump"):
        take_backup(tmp_path)
    with pytest.raises(BackupError, match="no kanban.env"):
        take_backup(tmp_path / "elsewhere")

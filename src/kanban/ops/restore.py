"""`kanban restore`: put a `kanban backup` archive back into a data directory of a stopped system.

Checked before anything is replaced: the archive holds exactly the expected files, each database
passes integrity_check and is at a schema revision this version knows (an older one is upgraded
by the next `kanban up`), no service answers on the target's ports nor holds a live lease in its
databases, and the target holds no data unless --force. The env file comes back with its secrets,
its database URLs pointed at the target directory.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from kanban.db import migrations
from kanban.ops.backup import DATABASE_FILES, ENV_FILE, MANIFEST, check_database
from kanban.ops.errors import BackupError
from kanban.settings import read_env_file

SCRIPT_LOCATIONS = {"api": "kanban.api:migrations", "worker": "kanban.worker:migrations"}
DEFAULT_PORTS = {"KANBAN_API_PORT": "8000", "KANBAN_WORKER_PORT": "8001"}


@dataclass(frozen=True)
class RestoreResult:
    data_dir: Path
    revisions: dict[str, str | None]
    tasks: int | None
    upgrade_needed: list[str]


def known_revisions(service: str) -> set[str]:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(migrations.alembic_config(SCRIPT_LOCATIONS[service], migrations._NO_DB))
    return {rev.revision for rev in script.walk_revisions()}


def _listening(port: str) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", int(port))) == 0


def _live_leases(path: Path) -> list[str]:
    """Leases (relay, inbox, scheduler) still held in a database: its service is running."""
    if not path.is_file():
        return []
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT name, expires_at FROM leases").fetchall()
    except sqlite3.DatabaseError:
        return []
    finally:
        conn.close()
    now = datetime.now(UTC)
    live = []
    for name, expires_at in rows:
        expires = datetime.fromisoformat(str(expires_at))
        if (expires if expires.tzinfo else expires.replace(tzinfo=UTC)) > now:
            live.append(name)
    return live


def ensure_stopped(data_dir: Path, ports: dict[str, str]) -> None:
    env_path = data_dir / ENV_FILE
    target_ports = dict(ports) | (read_env_file(env_path) if env_path.is_file() else {})
    for var, default in DEFAULT_PORTS.items():
        port = target_ports.get(var, default)
        if _listening(port):
            raise BackupError(f"something answers on port {port} ({var}): stop 'kanban up' before restoring")
    for service, name in DATABASE_FILES.items():
        leases = _live_leases(data_dir / name)
        if leases:
            raise BackupError(
                f"the {service} database is in use (live lease {leases[0]}): stop the services first "
                "(a crashed service's lease expires within 15 s)"
            )


def _holds_data(data_dir: Path) -> bool:
    return any((data_dir / name).exists() for name in (*DATABASE_FILES.values(), ENV_FILE))


def _extract(archive: Path, into: Path) -> dict[str, object]:
    expected = {MANIFEST, ENV_FILE, *DATABASE_FILES.values()}
    try:
        with tarfile.open(archive, "r:gz") as tar:
            members = tar.getmembers()
            names = {m.name for m in members}
            if names != expected or not all(m.isfile() for m in members):
                raise BackupError(f"{archive} is not a kanban backup: expected exactly {', '.join(sorted(expected))}")
            tar.extractall(into, filter="data")
    except (tarfile.TarError, OSError) as exc:
        raise BackupError(f"cannot read {archive}: {exc}") from None
    return json.loads((into / MANIFEST).read_text())  # type: ignore[no-any-return]


def _pointed_at(env_text: str, data_dir: Path) -> str:
    """The env file with each service's database URL naming the file in `data_dir`."""
    urls = {
        "API_DATABASE_URL": f"sqlite:///{(data_dir / DATABASE_FILES['api']).resolve()}",
        "WORKER_DATABASE_URL": f"sqlite:///{(data_dir / DATABASE_FILES['worker']).resolve()}",
    }
    lines = []
    for line in env_text.splitlines():
        key = line.partition("=")[0].strip()
        lines.append(f"{key}={urls[key]}" if key in urls else line)
    return "\n".join(lines) + "\n"


def restore_backup(archive: Path, data_dir: Path, *, force: bool = False) -> RestoreResult:
    if not archive.is_file():
        raise BackupError(f"{archive} does not exist")
    with tempfile.TemporaryDirectory(prefix="kanban-restore-") as tmp:
        work = Path(tmp)
        manifest = _extract(archive, work)
        ensure_stopped(data_dir, dict(manifest.get("ports") or {}))  # type: ignore[call-overload]
        if _holds_data(data_dir) and not force:
            raise BackupError(f"{data_dir} already holds a system; restore into an empty directory or pass --force")
        revisions: dict[str, str | None] = {}
        tasks: int | None = None
        behind = []
        for service, name in DATABASE_FILES.items():
            revision, count = check_database(work / name)
            known = known_revisions(service)
            if revision is not None and revision not in known:
                raise BackupError(
                    f"the {service} database is at revision {revision}, unknown to this version: restore it with "
                    "the version of kanban that took the backup"
                )
            if revision != migrations.head(SCRIPT_LOCATIONS[service]):
                behind.append(service)
            revisions[service] = revision
            tasks = count if count is not None else tasks
        data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        for name in DATABASE_FILES.values():
            for stale in (data_dir / f"{name}-wal", data_dir / f"{name}-shm"):
                stale.unlink(missing_ok=True)  # a -wal of the old database would be replayed into the restored one
            staged = data_dir / f".{name}.restoring"
            shutil.copyfile(work / name, staged)
            os.chmod(staged, 0o600)
            os.replace(staged, data_dir / name)
        env_target = data_dir / ENV_FILE
        staged_env = data_dir / f".{ENV_FILE}.restoring"
        staged_env.write_text(_pointed_at((work / ENV_FILE).read_text(), data_dir))
        os.chmod(staged_env, 0o600)
        os.replace(staged_env, env_target)
    return RestoreResult(data_dir, revisions, tasks, behind)

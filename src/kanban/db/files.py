"""Files that hold data or secrets (databases, the env file, backups, reports) are private from the moment they exist.

Each is created with its mode given to `os.open` or `mkdir`, never widened by the umask's default and
never fixed afterwards with chmod, so no other local user can open one even for an instant. SQLite
gives its -wal, -shm and -journal files the mode of their database file, so creating the database
file first covers them too.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from kanban.db.urls import DatabaseUrl

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


def private_directory(path: Path) -> Path:
    """`path` as a directory only its owner can enter (parents are made as the system's default)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        path.mkdir(mode=PRIVATE_DIR_MODE)
    except FileExistsError:
        # A directory an older version made with the default mode: nothing is written into it before
        # it is closed to others.
        if stat.S_IMODE(path.stat().st_mode) & 0o077:
            path.chmod(PRIVATE_DIR_MODE)
    return path


def create_private_file(path: Path) -> bool:
    """Create `path` empty and 0600 if it does not exist; True when it was created."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    except FileExistsError:
        return False
    os.close(fd)
    return True


@contextlib.contextmanager
def open_private(
    path: Path, mode: str = "w", encoding: str | None = "utf-8", newline: str | None = None
) -> Iterator[IO[Any]]:
    """Open `path` for writing, creating it 0600 (an existing file keeps its mode and is truncated)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE_MODE)
    with os.fdopen(fd, mode, encoding=encoding, newline=newline) as handle:
        yield handle


def write_private_text(path: Path, text: str) -> None:
    """Replace `path` with `text` atomically; the file is 0600 from its first byte."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    tmp.replace(path)


def sqlite_file(db: DatabaseUrl) -> Path | None:
    """The file of an SQLite database URL, None for PostgreSQL and in-memory databases."""
    if not db.is_sqlite or db.database in ("", ":memory:") or db.database.startswith("file:"):
        return None
    return Path(db.database).expanduser()


def ensure_private_sqlite_file(db: DatabaseUrl) -> None:
    """Create an SQLite database's file 0600 before SQLite would create it with the default mode."""
    path = sqlite_file(db)
    if path is not None and not path.exists() and path.parent.is_dir():
        create_private_file(path)

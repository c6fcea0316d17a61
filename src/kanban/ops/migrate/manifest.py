"""The manifest written next to every backup: what it holds, how to read it, and checksums to verify a restore."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from kanban.db.files import write_private_text
from kanban.ops.errors import BackupError
from kanban.ops.legacy.checksums import digest_of
from kanban.ops.legacy.layout import Layout

PG_DUMP_FORMAT = "pg_dump-custom"
PORTABLE_FORMAT = "kanban-portable-v1"


def manifest_path(backup: Path) -> Path:
    return backup.with_name(backup.name + ".manifest.json")


@dataclass(frozen=True)
class Manifest:
    snapshot_id: str  # names the backup; a split run is identified by it
    created_at: str
    format: str
    file: str
    source: str  # the source URL without credentials
    layout: dict[str, Any]
    tables: dict[str, dict[str, Any]]  # "schema.Table": {"rows": n, <digest>: text} (legacy/checksums.py)

    @property
    def legacy_layout(self) -> Layout:
        return Layout.from_dict(self.layout)

    def write(self, backup: Path) -> None:
        path = manifest_path(backup)
        write_private_text(path, json.dumps(asdict(self), indent=2, sort_keys=True) + "\n")

    @classmethod
    def read(cls, backup: Path) -> Manifest:
        path = manifest_path(backup)
        if not backup.exists():
            raise BackupError(f"backup {backup} does not exist")
        if not path.exists():
            raise BackupError(f"backup {backup} has no manifest {path.name}: it is incomplete, take a new one")
        try:
            return cls(**json.loads(path.read_text()))
        except (ValueError, TypeError) as exc:
            raise BackupError(f"manifest {path} is unreadable: {exc}") from None


def compare(expected: dict[str, dict[str, Any]], actual: dict[str, dict[str, Any]]) -> list[str]:
    """The tables whose rows or checksum differ, as one line each; empty when all match.

    `actual` is taken with the digest of `expected` (checksums.digest_of).
    """
    digest = digest_of(expected)
    problems = []
    for table, want in expected.items():
        got = actual.get(table)
        if got is None:
            problems.append(f"{table}: missing")
        elif got["rows"] != want["rows"]:
            problems.append(f"{table}: {got['rows']} rows, expected {want['rows']}")
        elif got.get(digest) != want.get(digest):
            problems.append(f"{table}: content differs ({want['rows']} rows)")
    return problems

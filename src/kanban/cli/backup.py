"""`kanban backup` and `kanban restore`: the embedded default's databases and secrets, copied while it runs
and put back on a stopped system. PostgreSQL: `pg_dump` per database (README, Your data)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from kanban.cli.errors import CliError
from kanban.ops.backup import take_backup
from kanban.ops.errors import OpsError
from kanban.ops.restore import restore_backup


def backup(args: argparse.Namespace) -> int:
    try:
        result = take_backup(Path(args.data_dir).expanduser(), args.out)
    except (OpsError, OSError) as exc:
        raise CliError(f"backup failed: {exc}") from None
    for copy in result.databases:
        tasks = f", {copy.tasks} tasks" if copy.tasks is not None else ""
        print(f"✓ {copy.service}: revision {copy.revision}, {copy.bytes} bytes{tasks}, integrity ok")
    print(f"kanban: backup written to {result.path} (mode 0600; it holds the secrets of kanban.env)")
    return 0


def restore(args: argparse.Namespace) -> int:
    try:
        result = restore_backup(args.archive, Path(args.data_dir).expanduser(), force=args.force)
    except (OpsError, OSError) as exc:
        raise CliError(f"restore refused: {exc}") from None
    for service, revision in result.revisions.items():
        print(f"✓ {service}: integrity ok, revision {revision}")
    if result.upgrade_needed:
        print(f"kanban: {', '.join(result.upgrade_needed)} will be upgraded to head by the next 'kanban up'")
    print(
        f"kanban: restored into {result.data_dir} ({result.tasks} tasks); start it with 'kanban up --data-dir {result.data_dir}'"
    )
    return 0


def add_commands(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    data_dir = os.environ.get("KANBAN_DATA_DIR", ".kanban-data")
    cmd = subparsers.add_parser("backup", help="copy the embedded SQLite databases and secrets while the system runs")
    cmd.add_argument("--data-dir", default=data_dir, help="the data directory of 'kanban up'")
    cmd.add_argument("--out", type=Path, help="archive to write (default: ./kanban-backup-<UTC time>.tar.gz)")
    cmd.set_defaults(func=backup)
    cmd = subparsers.add_parser("restore", help="put a backup back into a data directory (the system stopped)")
    cmd.add_argument("archive", type=Path, help="an archive written by 'kanban backup'")
    cmd.add_argument(
        "--data-dir", default=data_dir, help="where to restore (default: the data directory of 'kanban up')"
    )
    cmd.add_argument("--force", action="store_true", help="replace the databases already in --data-dir")
    cmd.set_defaults(func=restore)

"""`kanban migrate`: the database separation runbook as commands (backup, split, verify, rollback)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy.exc import SQLAlchemyError

from kanban.cli.errors import CliError
from kanban.db.urls import DatabaseUrlError, parse_database_url
from kanban.ops.errors import OpsError

Handler = Callable[[argparse.Namespace], Coroutine[Any, Any, int]]


def add_commands(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "migrate",
        help="move a legacy shared database into the API and Worker databases",
        description="The database separation runbook as commands: backup, split, verify, rollback. See docs/migrating.md.",
    )
    sub = parser.add_subparsers(dest="migrate_command", required=True, metavar="{backup,split,verify,rollback}")

    backup = sub.add_parser("backup", help="consistent snapshot of the legacy database, with a checksum manifest")
    backup.add_argument("--source", required=True, help="legacy database URL (postgresql://...)")
    backup.add_argument("--out", type=Path, help="backup file (default: ./backup_<db>_<time>.dump)")
    backup.add_argument("--portable", action="store_true", help="write our own format even when pg_dump is installed")
    backup.set_defaults(func=_runner(_backup))

    split = sub.add_parser("split", help="copy the legacy data into the API and Worker databases (resumable)")
    split.add_argument("--source", required=True, help="legacy database URL")
    split.add_argument("--api", required=True, help="API database URL (PostgreSQL or SQLite)")
    split.add_argument("--worker", required=True, help="Worker database URL (PostgreSQL or SQLite)")
    split.add_argument("--backup", type=Path, help="backup to reuse, or where to take it (default: a new one)")
    split.add_argument("--dry-run", action="store_true", help="read and map everything, write nothing")
    split.add_argument("--skip-invalid", action="store_true", help="leave out rows that cannot be migrated")
    split.add_argument("--report", type=Path, help="report file (default: next to the backup)")
    split.add_argument("--batch-size", type=int, default=5000, help=argparse.SUPPRESS)
    split.set_defaults(func=_runner(_split))

    verify = sub.add_parser("verify", help="check the split against the source and the runbook's success criteria")
    verify.add_argument("--source", required=True, help="legacy database URL")
    verify.add_argument("--api", required=True, help="API database URL")
    verify.add_argument("--worker", required=True, help="Worker database URL")
    verify.set_defaults(func=_runner(_verify))

    rollback = sub.add_parser("rollback", help="restore the legacy database from a backup and check it")
    rollback.add_argument("--backup", type=Path, required=True, help="backup file written by `kanban migrate backup`")
    rollback.add_argument("--target", required=True, help="database to restore into (postgresql://...)")
    rollback.set_defaults(func=_runner(_rollback))


def _runner(handler: Handler) -> Callable[[argparse.Namespace], int]:
    """Every refusal becomes a CliError: one `kanban: error: migrate <command>: …` line, like every command."""

    def run(args: argparse.Namespace) -> int:
        name = f"migrate {args.migrate_command}"
        try:
            return asyncio.run(handler(args))
        except (OpsError, DatabaseUrlError) as exc:
            raise CliError(f"{name}: {exc}") from None
        except (OSError, SQLAlchemyError, asyncpg.PostgresError) as exc:
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
            raise CliError(f"{name}: {reason[0] if reason else type(exc).__name__}") from None
        except KeyboardInterrupt:
            raise CliError(f"{name}: interrupted; run the same command again to resume", exit_code=130) from None

    return run


async def _backup(args: argparse.Namespace) -> int:
    from kanban.ops.migrate.backup import default_backup_path, take_backup
    from kanban.ops.migrate.manifest import manifest_path

    source = parse_database_url(args.source)
    out = args.out or default_backup_path(source)
    manifest = await take_backup(source, out, portable_format=args.portable)
    rows = sum(int(t["rows"]) for t in manifest.tables.values())
    print(f"Backup of {manifest.source} ({manifest.layout['name']} layout): {out} [{manifest.format}]")
    print(f"Manifest: {manifest_path(out)} ({len(manifest.tables)} tables, {rows:,} rows)")
    return 0


async def _split(args: argparse.Namespace) -> int:
    from kanban.ops.migrate.progress import Progress
    from kanban.ops.migrate.split import SplitOptions, split

    options = SplitOptions(
        source=parse_database_url(args.source),
        api=parse_database_url(args.api),
        worker=parse_database_url(args.worker),
        backup=args.backup,
        dry_run=args.dry_run,
        skip_invalid=args.skip_invalid,
        batch_size=max(1, args.batch_size),
        report=args.report,
    )
    report = await split(options, Progress())
    print(report.summary())
    if not options.dry_run:
        print("\nDone. Run `kanban migrate verify` with the same URLs, then start the services: the API's relay")
        print("delivers the seeding events to the Worker.")
    return 0


async def _verify(args: argparse.Namespace) -> int:
    from kanban.ops.migrate.verify import verify

    checks = await verify(
        parse_database_url(args.source), parse_database_url(args.api), parse_database_url(args.worker)
    )
    for check in checks:
        print(check.line())
    failed = [c for c in checks if not c.ok]
    print(f"\n{len(checks) - len(failed)} of {len(checks)} checks passed")
    return 1 if failed else 0


async def _rollback(args: argparse.Namespace) -> int:
    from kanban.ops.migrate.rollback import rollback

    try:
        target = parse_database_url(args.target)
    except DatabaseUrlError as exc:
        raise OpsError(f"--target: {exc}") from None
    manifest, problems = await rollback(args.backup, target)
    bad = {p.split(":")[0] for p in problems}
    for table, expected in sorted(manifest.tables.items()):
        mark = "✗" if table in bad else "✓"
        print(
            f"{mark} {table}: {int(expected['rows']):,} rows"
            + ("" if table not in bad else " — differs from the backup")
        )
    if problems:
        raise CliError(
            f"migrate rollback: restored, but {len(problems)} table(s) differ from the manifest: {problems[0]}"
        )
    print(f"\nRestored {manifest.file} into {target.redacted()}; every checksum matches.")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run `migrate` on its own (python -m kanban.cli.migrate ...), as `kanban migrate` would."""
    parser = argparse.ArgumentParser(prog="kanban")
    add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["migrate", *(sys.argv[1:] if argv is None else argv)])
    try:
        return int(args.func(args))
    except CliError as exc:
        print(f"kanban: error: {exc}", file=sys.stderr)
        return exc.exit_code


if __name__ == "__main__":
    sys.exit(main())

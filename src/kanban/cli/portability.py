"""`kanban export` and `kanban import`: an account's data in and out, from the command line.

They work on the API database of the current configuration (the env file of `kanban up`, or
API_DATABASE_URL), as `kanban events` does: whoever can read that configuration can read the
database already, so no token is asked; the account is named by --email. The API may be running
or stopped; an import's events wait in the outbox until its relay delivers them to the Worker.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from kanban.api import tables as api_tables
from kanban.api.errors import DomainError
from kanban.api.portability import handlers
from kanban.api.portability.document import document_schema
from kanban.api.portability.validation import ImportLimits
from kanban.cli.errors import CliError
from kanban.db.engine import make_engine
from kanban.messaging.unit_of_work import UnitOfWork
from kanban.settings import Settings, load_settings


async def _user_id(uow: UnitOfWork, email: str) -> str:
    found = await uow.conn.scalar(
        select(api_tables.users.c.id).where(func.lower(api_tables.users.c.email) == email.strip().lower())
    )
    if found is None:
        raise CliError(f"no account with the email {email}")
    return str(found)


async def _with_uow(settings: Settings, work: Any) -> Any:
    engine = make_engine(settings.database, "kanban-cli")
    try:
        async with UnitOfWork(engine, api_tables.messaging, "api") as uow:
            return await work(uow)
    except DomainError as exc:
        raise CliError(exc.detail) from None
    finally:
        await engine.dispose()


def export(args: argparse.Namespace) -> int:
    if args.schema:
        print(json.dumps(document_schema(), indent=2))
        return 0
    if not args.email:
        raise CliError("--email is required (the account to export)")
    settings = load_settings("api")

    async def work(uow: UnitOfWork) -> dict[str, Any]:
        query = handlers.ExportAccount(user_id=await _user_id(uow, args.email), board_id=args.board)
        return await handlers.export_document(query, uow)

    text = json.dumps(asyncio.run(_with_uow(settings, work)), indent=1, ensure_ascii=False) + "\n"
    if args.out:
        Path(args.out).write_text(text)
        print(f"kanban: exported to {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def _mapping(pairs: list[str]) -> dict[str, str] | None:
    if not pairs:
        return None
    mapping = {}
    for pair in pairs:
        field, sep, header = pair.partition("=")
        if not sep:
            raise CliError(f"--map {pair!r}: expected FIELD=CSV_HEADER, e.g. title=Name")
        mapping[field.strip()] = header.strip()
    return mapping


def import_(args: argparse.Namespace) -> int:
    settings = load_settings("api")
    try:
        body = Path(args.file).read_bytes()
    except OSError as exc:
        raise CliError(f"cannot read {args.file}: {exc.strerror}") from None
    limits = ImportLimits(max_bytes=settings.import_max_bytes, max_tasks=settings.import_max_tasks)

    async def work(uow: UnitOfWork) -> Any:
        cmd = handlers.ImportFile(await _user_id(uow, args.email), args.format, body, _mapping(args.map))
        return await handlers.import_file(handlers.check_file(cmd, limits), uow)

    report = asyncio.run(_with_uow(settings, work))
    verb = "was imported before, nothing changed" if report.already_imported else "imported"
    names = ", ".join(f"{b.name} ({b.id})" for b in report.boards)
    print(f"kanban: {args.file} {verb}: {names}")
    counts = ", ".join(f"{n} {k}" for k, n in report.counts.items() if n)
    if counts:
        print(f"  {counts}")
    for line in report.not_carried:
        print(f"  not carried over: {line}")
    return 0


def add_commands(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    cmd = subparsers.add_parser("export", help="an account (or one board) as one JSON document")
    cmd.add_argument("--email", help="the account to export")
    cmd.add_argument("--board", help="only this board id")
    cmd.add_argument("--out", help="file to write (default: standard output)")
    cmd.add_argument("--schema", action="store_true", help="print the document's JSON Schema instead")
    cmd.set_defaults(func=export)
    cmd = subparsers.add_parser("import", help="a file (our export, Trello JSON, Kanboard CSV, any CSV) as new boards")
    cmd.add_argument("file", help="the file to import")
    cmd.add_argument("--email", required=True, help="the account that receives the boards")
    cmd.add_argument("--format", choices=("kanban", "trello", "kanboard", "csv"), default="kanban")
    cmd.add_argument(
        "--map", action="append", default=[], metavar="FIELD=HEADER", help="csv: which column is which field"
    )
    cmd.set_defaults(func=import_)

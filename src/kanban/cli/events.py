"""`kanban events`: the event flow for operators: status, dead letters, replay, and the catalogue."""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import sys
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from pathlib import Path
from typing import TypeVar

from sqlalchemy.exc import SQLAlchemyError

from kanban.cli.errors import CliError
from kanban.contracts.registry import catalogue
from kanban.db.async_core import AsyncEngine
from kanban.db.engine import make_engine
from kanban.messaging import operations
from kanban.messaging.tables import MessagingTables
from kanban.settings import Settings, SettingsError, load_settings

T = TypeVar("T")
SERVICES = ("api", "worker")


def _tables(service: str) -> MessagingTables:
    if service == "api":
        from kanban.api.tables import messaging
    else:
        from kanban.worker.tables import messaging
    return messaging


def _settings(choice: str) -> list[Settings]:
    """The settings of the chosen service, or of every service that is configured here for `all`."""
    if choice != "all":
        return [load_settings(choice)]  # type: ignore[arg-type]
    found: list[Settings] = []
    errors: list[SettingsError] = []
    for service in SERVICES:
        try:
            found.append(load_settings(service))  # type: ignore[arg-type]
        except SettingsError as exc:
            errors.append(exc)
            print(f"kanban: note: {service} skipped: {exc}", file=sys.stderr)
    if not found:
        raise errors[0]
    return found


def _on_database(settings: Settings, work: Callable[[AsyncEngine, MessagingTables], Awaitable[T]]) -> T:
    """Run `work` against one service database; a database failure becomes one line naming it."""

    async def run() -> T:
        engine = make_engine(settings.database, "kanban-cli-events", pool_size=1)
        try:
            return await work(engine, _tables(settings.service))
        finally:
            await engine.dispose()

    try:
        return asyncio.run(run())
    except (OSError, SQLAlchemyError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise CliError(f"{settings.service} database {settings.database.redacted()}: {reason}") from None


def _age(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.1f}s"
    if seconds < 7200:
        return f"{seconds / 60:.1f}m"
    return f"{seconds / 3600:.1f}h"


# --- status -------------------------------------------------------------------------------


def status(args: argparse.Namespace) -> int:
    reports = [
        _on_database(s, functools.partial(operations.events_status, service=s.service)) for s in _settings(args.service)
    ]
    if args.json:
        print(json.dumps([asdict(report) for report in reports], indent=2))
        return 0
    for report in reports:
        out = report.outbox
        seqs = f"seq {out.first_kept_seq}..{out.last_seq}" if out.last_seq is not None else "empty"
        print(f"{report.service}: outbox {out.pending} pending, oldest {_age(out.oldest_pending_age_seconds)} ({seqs})")
        if not report.consumers:
            print(f"{report.service}: inbox empty")
        for c in report.consumers:
            print(
                f"{report.service}: inbox {c.consumer}: {c.pending} pending ({c.retrying} retrying), "
                f"lag {_age(c.oldest_pending_age_seconds)}, {c.processed} processed, {c.dead_letters} dead letters"
            )
    return 0


# --- dead letters -------------------------------------------------------------------------


def _selection(args: argparse.Namespace) -> list[str] | None:
    if args.all == bool(args.ids):
        raise CliError("say which dead letters: --id EVENT_ID (repeatable) or --all")
    return None if args.all else list(args.ids)


def dead_letters_list(args: argparse.Namespace) -> int:
    ids = list(args.ids) if args.ids else None
    total = 0
    for s in _settings(args.service):
        letters = _on_database(s, lambda engine, tables: operations.list_dead_letters(engine, tables, ids))  # noqa: B023
        total += len(letters)
        for d in letters:
            print(
                f"{s.service}\t{d.event_id}\t{d.event_type}\t{d.aggregate_id}\t{d.attempts} attempt(s)\t"
                f"{d.dead_at.isoformat(timespec='seconds')}\t{d.error.splitlines()[0] if d.error else ''}"
            )
    if total == 0:
        print("no dead letters")
    return 0


def _change_dead_letters(
    args: argparse.Namespace,
    action: Callable[[AsyncEngine, MessagingTables, list[str] | None], Awaitable[int]],
    done: str,
) -> int:
    ids = _selection(args)
    total = 0
    for s in _settings(args.service):
        count = _on_database(s, lambda engine, tables: action(engine, tables, ids))  # noqa: B023
        total += count
        if count:
            print(f"{s.service}: {count} dead letter(s) {done}")
    if ids is not None and total < len(set(ids)):
        raise CliError(f"{len(set(ids)) - total} of the given event id(s) are not dead letters here")
    if total == 0:
        print("no dead letters")
    return 0


def dead_letters_retry(args: argparse.Namespace) -> int:
    return _change_dead_letters(args, operations.retry_dead_letters, "put back in the inbox with 0 attempts")


def dead_letters_drop(args: argparse.Namespace) -> int:
    return _change_dead_letters(args, operations.drop_dead_letters, "dropped")


# --- replay -------------------------------------------------------------------------------


def replay(args: argparse.Namespace) -> int:
    if args.from_seq < 1 or (args.to_seq is not None and args.to_seq < args.from_seq):
        raise CliError("--from-seq must be at least 1 and --to-seq not below it")
    settings = load_settings(args.service)
    result = _on_database(
        settings, lambda engine, tables: operations.replay_outbox(engine, tables, args.from_seq, args.to_seq)
    )
    wanted = f"seq {args.from_seq}..{args.to_seq if args.to_seq is not None else 'end'}"
    if result.pruned_before(args.from_seq):
        kept = f"from seq {result.first_kept_seq}" if result.first_kept_seq is not None else "none"
        note = f"{args.service}: part of {wanted} was pruned after the outbox retention (kept: {kept}); it cannot be replayed"
        if result.marked == 0:
            raise CliError(note)
        print(note, file=sys.stderr)
    if result.marked == 0:
        raise CliError(f"{args.service}: no published event in {wanted} (last seq is {result.last_seq})")
    print(
        f"{args.service}: {result.marked} event(s) in {wanted} marked for re-publishing; "
        "the relay sends them again and receivers ignore what they already hold"
    )
    return 0


# --- catalogue ----------------------------------------------------------------------------


def catalogue_command(args: argparse.Namespace) -> int:
    text = catalogue()
    if args.write is None:
        sys.stdout.write(text)
        return 0
    path = Path(args.write)
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise CliError(f"cannot write {path}: {exc.strerror}") from None
    print(f"wrote the event catalogue to {path}")
    return 0


# --- wiring -------------------------------------------------------------------------------


def _service_option(parser: argparse.ArgumentParser, default: str | None = "all") -> None:
    choices = [*SERVICES, "all"] if default == "all" else list(SERVICES)
    parser.add_argument(
        "--service",
        choices=choices,
        default=default,
        required=default is None,
        help="whose database (default: %(default)s)" if default else "whose outbox",
    )


def add_commands(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    events = subparsers.add_parser("events", help="the event flow: status, dead letters, replay, catalogue")
    actions = events.add_subparsers(dest="events_command", required=True, metavar="ACTION")

    sub = actions.add_parser("status", help="outbox backlog, inbox lag and dead letters per service")
    _service_option(sub)
    sub.add_argument("--json", action="store_true", help="print JSON instead of lines")
    sub.set_defaults(func=status)

    dead = actions.add_parser("dead-letters", help="list, retry or drop events that kept failing")
    dead_actions = dead.add_subparsers(dest="dead_letters_command", required=True, metavar="ACTION")
    for name, func, help_text in (
        ("list", dead_letters_list, "list dead letters"),
        ("retry", dead_letters_retry, "put dead letters back in the inbox, attempts reset"),
        ("drop", dead_letters_drop, "forget dead letters (a redelivery stays a no-op)"),
    ):
        sub = dead_actions.add_parser(name, help=help_text)
        _service_option(sub)
        sub.add_argument("--id", dest="ids", action="append", default=[], metavar="EVENT_ID")
        if name != "list":
            sub.add_argument("--all", action="store_true", help="every dead letter")
        sub.set_defaults(func=func)

    sub = actions.add_parser("replay", help="mark a range of a service's outbox unsent so the relay re-publishes it")
    _service_option(sub, default=None)
    sub.add_argument("--from-seq", type=int, required=True, metavar="N")
    sub.add_argument("--to-seq", type=int, default=None, metavar="M")
    sub.set_defaults(func=replay)

    sub = actions.add_parser("catalogue", help="print the catalogue of every event (Markdown)")
    sub.add_argument("--write", metavar="PATH", help="write it to a file instead (docs/events.md)")
    sub.set_defaults(func=catalogue_command)

"""Entry point of the `kanban` command. Every failure ends as one line on stderr and a non-zero exit."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import NoReturn

from kanban.cli.errors import CliError
from kanban.db.migration_errors import MigrationError
from kanban.settings import SettingsError

# Each module exposes add_commands(subparsers); a command sets `func(args) -> int` as its default.
# The commands each module declares: a run builds only the parser of the command it names, so
# `kanban api` or `kanban worker` does not keep what the other commands import (Alembic, the
# legacy migrator, jsonschema, ...) resident for the life of the service.
COMMAND_MODULES: dict[str, tuple[str, ...]] = {
    "kanban.cli.up": ("up",),
    "kanban.cli.services": ("api", "worker"),
    "kanban.cli.serve": ("serve",),
    "kanban.cli.db": ("db",),
    "kanban.cli.doctor": ("doctor",),
    "kanban.cli.migrate": ("migrate",),
    "kanban.cli.events": ("events",),
    "kanban.cli.users": ("users",),
    "kanban.cli.backup": ("backup", "restore"),
    "kanban.cli.portability": ("export", "import"),
    "kanban.cli.capture": ("capture",),
    "kanban.cli.mcp": ("mcp",),
}


class _Parser(argparse.ArgumentParser):
    """argparse, with a usage error as the same one line as every other failure."""

    def error(self, message: str) -> NoReturn:
        command = self.prog.removeprefix("kanban").strip()
        where = f"{command}: " if command else ""
        print(f"kanban: error: {where}{message} (see '{self.prog} --help')", file=sys.stderr)
        sys.exit(2)


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser of the command `argv` names, or of every command (for help and unknown commands)."""
    parser = _Parser(prog="kanban", description="Personal Kanban: a GTD board and its hint Worker.")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    named = _command_module(sys.argv[1:] if argv is None else argv)
    for name in [named] if named else COMMAND_MODULES:
        importlib.import_module(name).add_commands(subparsers)
    return parser


def _command_module(argv: Sequence[str]) -> str | None:
    command = argv[0] if argv else None
    return next((module for module, commands in COMMAND_MODULES.items() if command in commands), None)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (SettingsError, MigrationError) as exc:
        print(f"kanban: error: {exc}", file=sys.stderr)
        return 2
    except CliError as exc:
        print(f"kanban: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("kanban: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

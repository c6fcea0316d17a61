"""Entry point of the `kanban` command. Every failure ends as one line on stderr and a non-zero exit."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import NoReturn

from kanban.cli.errors import CliError
from kanban.db.migrations import MigrationError
from kanban.settings import SettingsError

# Each module exposes add_commands(subparsers); a command sets `func(args) -> int` as its default.
COMMAND_MODULES: tuple[str, ...] = (
    "kanban.cli.up",
    "kanban.cli.services",
    "kanban.cli.db",
    "kanban.cli.doctor",
    "kanban.cli.migrate",
    "kanban.cli.events",
    "kanban.cli.users",
    "kanban.cli.backup",
    "kanban.cli.portability",
    "kanban.cli.capture",
    "kanban.cli.mcp",
)


class _Parser(argparse.ArgumentParser):
    """argparse, with a usage error as the same one line as every other failure."""

    def error(self, message: str) -> NoReturn:
        command = self.prog.removeprefix("kanban").strip()
        where = f"{command}: " if command else ""
        print(f"kanban: error: {where}{message} (see '{self.prog} --help')", file=sys.stderr)
        sys.exit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="kanban", description="Personal Kanban: a GTD board and its hint Worker.")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).add_commands(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
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

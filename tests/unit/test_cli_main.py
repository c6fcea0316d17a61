"""The `kanban` command builds only the parser of the command it runs, and still knows every command."""

from __future__ import annotations

import argparse
import importlib

import pytest

from kanban.cli.main import COMMAND_MODULES, build_parser


@pytest.mark.parametrize("module", sorted(COMMAND_MODULES))
def test_each_command_module_declares_exactly_the_commands_the_table_lists(module: str) -> None:
    subparsers = argparse.ArgumentParser().add_subparsers()
    importlib.import_module(module).add_commands(subparsers)
    assert tuple(subparsers.choices) == COMMAND_MODULES[module]


def _commands(parser: argparse.ArgumentParser) -> set[str]:
    (subparsers,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return set(subparsers.choices)


def test_a_named_command_gets_only_its_own_modules_parser() -> None:
    assert _commands(build_parser(["api", "--migrate"])) == {"api", "worker"}
    assert _commands(build_parser(["serve"])) == {"serve"}


def test_help_and_unknown_commands_get_every_command() -> None:
    everything = {command for commands in COMMAND_MODULES.values() for command in commands}
    assert _commands(build_parser([])) == everything
    assert _commands(build_parser(["--help"])) == everything
    assert _commands(build_parser(["no-such-command"])) == everything

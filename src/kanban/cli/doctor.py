"""`kanban doctor`: the runbook's troubleshooting as one command; exits non-zero when anything fails."""

from __future__ import annotations

import argparse
import asyncio

from kanban.ops.doctor import run_doctor
from kanban.settings import load_settings


def doctor(_: argparse.Namespace) -> int:
    api = load_settings("api")
    worker = load_settings("worker")
    results = asyncio.run(run_doctor(api, worker))
    for result in results:
        print(f"{'✓' if result.ok else '✗'} {result.name}: {result.detail}")
    failed = [r for r in results if not r.ok]
    print(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


def add_commands(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    cmd = subparsers.add_parser("doctor", help="check databases, schemas, separation and transport; ✓/✗ list")
    cmd.set_defaults(func=doctor)

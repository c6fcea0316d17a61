"""`kanban users`: what an operator needs to let a person in (list the accounts, set a password).

A password never comes as an argument (it would sit in the shell history and in `ps`): it is
typed at a prompt, twice, or read from the first line of stdin when stdin is not a terminal.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import sys

from kanban.api import tables
from kanban.api.accounts import repository
from kanban.api.accounts.handlers import SetPassword, set_password
from kanban.api.errors import NotFound
from kanban.api.security.passwords import MAX_LENGTH, MIN_LENGTH, passwords_for
from kanban.cli.checks import database_revision
from kanban.cli.errors import CliError
from kanban.db.engine import make_engine
from kanban.messaging.unit_of_work import UnitOfWork
from kanban.settings import Settings, load_settings


def _settings() -> Settings:
    settings = load_settings("api", require_secrets=False)
    asyncio.run(database_revision(settings.database))  # one line when the database is unreachable
    return settings


async def _list(settings: Settings) -> list[dict[str, object]]:
    engine = make_engine(settings.database, "kanban-cli")
    try:
        async with engine.connect() as conn:
            rows = await repository.all_users(conn)
    finally:
        await engine.dispose()
    return [
        {
            "id": row.id,
            "email": row.email,
            "name": row.name,
            "hasPassword": row.password_hash is not None,
            "createdAt": row.created_at.isoformat() if row.created_at else None,
        }
        for row in rows
    ]


def list_users(args: argparse.Namespace) -> int:
    users = asyncio.run(_list(_settings()))
    if args.json:
        print(json.dumps(users, indent=2))
        return 0
    for user in users:
        password = "password set" if user["hasPassword"] else "no password (cannot sign in)"
        print(f"{user['email']}  {user['name'] or '-'}  {password}  created {user['createdAt']}")
    print(f"{len(users)} user(s)")
    return 0


def read_new_password() -> str:
    if sys.stdin.isatty():
        first = getpass.getpass("New password: ")
        if getpass.getpass("Repeat it: ") != first:
            raise CliError("the two passwords differ; nothing changed")
        password = first
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if not password.strip():
        raise CliError("no password given (type it at the prompt or pipe it on stdin)")
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        raise CliError(f"a password has {MIN_LENGTH} to {MAX_LENGTH} characters, this one {len(password)}")
    return password


async def _set_password(settings: Settings, email: str, password: str) -> str:
    engine = make_engine(settings.database, "kanban-cli")
    try:
        async with UnitOfWork(engine, tables.messaging, "api") as uow:
            user = await set_password(SetPassword(email, password), uow, passwords_for(settings))
    except NotFound as exc:
        raise CliError(str(exc)) from None
    finally:
        await engine.dispose()
    return str(user.email)


def set_password_command(args: argparse.Namespace) -> int:
    settings = _settings()
    password = read_new_password()
    email = asyncio.run(_set_password(settings, args.email, password))
    print(f"password of {email} set; its other sign-ins were ended")
    return 0


def add_commands(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    users = subparsers.add_parser("users", help="list accounts and set a password (the API's database)")
    actions = users.add_subparsers(dest="users_command", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="every account, and whether it can sign in")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=list_users)
    setter = actions.add_parser(
        "set-password", help="set an account's password, read from a prompt or stdin (never an argument)"
    )
    setter.add_argument("email")
    setter.set_defaults(func=set_password_command)

"""`kanban db`: each service's migration history (upgrade, downgrade, current) and PostgreSQL provisioning."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from kanban.cli.checks import SCRIPT_LOCATIONS, database_revision
from kanban.cli.errors import CliError
from kanban.db import migrations
from kanban.db.files import write_private_text
from kanban.db.urls import DatabaseUrl, DatabaseUrlError, parse_database_url
from kanban.ops.provision import Provisioned, ProvisionPlan, provision, service_urls
from kanban.settings import load_settings, provision_passwords


def _database(service: str) -> DatabaseUrl:
    # Migrations need the database only, never the events or signing secrets.
    return load_settings(service, require_secrets=False).database  # type: ignore[arg-type]


def upgrade(args: argparse.Namespace) -> int:
    db = _database(args.service)
    asyncio.run(database_revision(db))  # fails with one line when unreachable
    migrations.upgrade(SCRIPT_LOCATIONS[args.service], db, args.revision)
    print(f"{args.service}: {db.redacted()} upgraded to {asyncio.run(migrations.current(db))}")
    return 0


def downgrade(args: argparse.Namespace) -> int:
    db = _database(args.service)
    asyncio.run(database_revision(db))
    migrations.downgrade(SCRIPT_LOCATIONS[args.service], db, args.revision)
    print(f"{args.service}: {db.redacted()} downgraded to {asyncio.run(migrations.current(db)) or 'base'}")
    return 0


def current(args: argparse.Namespace) -> int:
    db = _database(args.service)
    revision = asyncio.run(database_revision(db))
    head = migrations.head(SCRIPT_LOCATIONS[args.service])
    state = "at head" if revision == head else f"head is {head}"
    print(f"{args.service}: {revision or 'none'} ({state})")
    return 0


def provision_command(args: argparse.Namespace) -> int:
    try:
        admin = parse_database_url(args.admin_url)
    except DatabaseUrlError as exc:
        raise CliError(f"--admin-url: {exc}") from None
    if not admin.is_postgres:
        raise CliError("--admin-url must be a postgresql:// URL of a role that can create roles and databases")
    api_password, worker_password = provision_passwords()
    plan = ProvisionPlan(
        api_database=args.api_database,
        api_role=args.api_role,
        api_password=api_password,
        worker_database=args.worker_database,
        worker_role=args.worker_role,
        worker_password=worker_password,
    )
    try:
        done = asyncio.run(provision(admin, plan))
    except (OSError, ValueError) as exc:
        raise CliError(f"cannot provision on {admin.redacted()}: {exc}") from None
    except Exception as exc:  # asyncpg errors: report the server's one-line reason
        raise CliError(f"provisioning failed on {admin.redacted()}: {str(exc).splitlines()[0]}") from None
    for line in done.actions:
        print(f"✓ {line}")
    _hand_over(args, plan, done, service_urls(admin, plan, done.passwords))
    return 0


def _hand_over(args: argparse.Namespace, plan: ProvisionPlan, done: Provisioned, urls: dict[str, DatabaseUrl]) -> None:
    """Say where the services connect without a password in any URL line (those get copied into logs).

    With --env-file the full URLs go to that file (0600). Otherwise a generated password is printed
    once, as the env line compose.yaml reads, under a warning: it is kept nowhere else.
    """
    for name, url in urls.items():
        print(f"{name}={url.redacted()}")
    if args.env_file:
        path = Path(args.env_file)
        body = "# Written by 'kanban db provision'. Holds database passwords; keep this file private.\n"
        body += "".join(f"{name}={url.url.render_as_string(hide_password=False)}\n" for name, url in urls.items())
        write_private_text(path, body)
        print(f"full URLs, with their passwords, written to {path} (readable only by you)")
        return
    variables = {plan.api_role: "KANBAN_API_DB_PASSWORD", plan.worker_role: "KANBAN_WORKER_DB_PASSWORD"}
    generated = [role for role in (plan.api_role, plan.worker_role) if role in done.generated]
    if generated:
        print(
            "kanban: warning: the generated password(s) below are shown only this once; store them now "
            "(or run again with --env-file FILE)",
            file=sys.stderr,
        )
        for role in generated:
            print(f"{variables[role]}={done.passwords[role]}")


def add_commands(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    db = subparsers.add_parser("db", help="migrations of each service's database, and PostgreSQL provisioning")
    actions = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    for name, func, default, help_text in (
        ("upgrade", upgrade, "head", "upgrade a service's database"),
        ("downgrade", downgrade, "-1", "downgrade a service's database (default: one revision)"),
    ):
        sub = actions.add_parser(name, help=help_text)
        sub.add_argument("service", choices=("api", "worker"))
        sub.add_argument("revision", nargs="?", default=default)
        sub.set_defaults(func=func)
    cur = actions.add_parser("current", help="the revision a service's database is at")
    cur.add_argument("service", choices=("api", "worker"))
    cur.set_defaults(func=current)
    prov = actions.add_parser(
        "provision",
        help="create the kanban_api and kanban_worker databases and roles (passwords from "
        "KANBAN_API_DB_PASSWORD / KANBAN_WORKER_DB_PASSWORD, else generated for new roles)",
    )
    prov.add_argument("--admin-url", required=True, help="postgresql:// URL of a superuser or CREATEROLE role")
    plan = ProvisionPlan()
    for field in ("api_database", "api_role", "worker_database", "worker_role"):
        prov.add_argument(f"--{field.replace('_', '-')}", default=getattr(plan, field))
    prov.add_argument(
        "--env-file",
        help="write API_DATABASE_URL and WORKER_DATABASE_URL, with their passwords, to this file (0600) "
        "instead of printing generated passwords",
    )
    prov.set_defaults(func=provision_command)

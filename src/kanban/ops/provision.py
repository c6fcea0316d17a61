"""Creating the two databases and their roles on a PostgreSQL server, so that each role reaches only its own.

Idempotent: roles and databases that exist are left as they are, and the CONNECT privileges are
enforced every time. A role's password is the one given (from the environment), or for a new role
a random one, which the caller shows once; an existing role given none keeps its password.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

import asyncpg
from sqlalchemy.engine import URL

from kanban.db.urls import DatabaseUrl


@dataclass(frozen=True)
class ProvisionPlan:
    api_database: str = "kanban_api"
    api_role: str = "kanban_api"
    api_password: str | None = None
    worker_database: str = "kanban_worker"
    worker_role: str = "kanban_worker"
    worker_password: str | None = None


@dataclass
class Provisioned:
    actions: list[str] = field(default_factory=list)
    # role -> the password set now (given or generated); a role whose password was kept is absent.
    passwords: dict[str, str] = field(default_factory=dict)
    generated: set[str] = field(default_factory=set)


def _ident(name: str) -> str:
    if not name.replace("_", "").isalnum():
        raise ValueError(f"refusing unusual identifier {name!r}")
    return f'"{name}"'


async def provision(admin: DatabaseUrl, plan: ProvisionPlan) -> Provisioned:
    """Apply the plan; returns a line per action taken and the passwords set."""
    conn = await asyncpg.connect(admin.libpq_dsn)
    done = Provisioned()
    actions = done.actions
    try:
        pairs = [
            (plan.api_role, plan.api_password, plan.api_database),
            (plan.worker_role, plan.worker_password, plan.worker_database),
        ]
        for role, password, database in pairs:
            exists = await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role)
            verb = "ALTER" if exists else "CREATE"
            if password is None and not exists:
                password = secrets.token_urlsafe(24)
                done.generated.add(role)
            clause = ""
            if password is not None:
                # Passwords cannot be bound parameters in DDL; quote them as a literal.
                clause = " PASSWORD '" + password.replace("'", "''") + "'"
                done.passwords[role] = password
            await conn.execute(f"{verb} ROLE {_ident(role)} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE{clause}")
            kept = " (password unchanged)" if password is None else ""
            actions.append(f"role {role} {'updated' if exists else 'created'}{kept}")
            if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database):
                await conn.execute(f"CREATE DATABASE {_ident(database)} OWNER {_ident(role)}")
                actions.append(f"database {database} created, owned by {role}")
            else:
                await conn.execute(f"ALTER DATABASE {_ident(database)} OWNER TO {_ident(role)}")
                actions.append(f"database {database} exists, owned by {role}")
        for role, _, database in pairs:
            await conn.execute(f"REVOKE CONNECT, TEMPORARY ON DATABASE {_ident(database)} FROM PUBLIC")
            await conn.execute(f"GRANT CONNECT ON DATABASE {_ident(database)} TO {_ident(role)}")
        # An owner can always connect to its own database; make sure neither role can reach the other's.
        await conn.execute(f"REVOKE CONNECT ON DATABASE {_ident(plan.worker_database)} FROM {_ident(plan.api_role)}")
        await conn.execute(f"REVOKE CONNECT ON DATABASE {_ident(plan.api_database)} FROM {_ident(plan.worker_role)}")
        actions.append("CONNECT revoked from PUBLIC on both databases")
    finally:
        await conn.close()
    return done


def service_urls(admin: DatabaseUrl, plan: ProvisionPlan, passwords: dict[str, str]) -> dict[str, DatabaseUrl]:
    """The URLs each service should use, on the admin URL's host and port (with a password when one was set)."""

    def url(role: str, database: str) -> DatabaseUrl:
        base = admin.url
        return DatabaseUrl(
            URL.create(
                base.drivername,
                username=role,
                password=passwords.get(role),
                host=base.host,
                port=base.port,
                database=database,
            )
        )

    return {
        "API_DATABASE_URL": url(plan.api_role, plan.api_database),
        "WORKER_DATABASE_URL": url(plan.worker_role, plan.worker_database),
    }

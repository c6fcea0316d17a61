"""Creating the two databases and their roles on a PostgreSQL server, so that each role reaches only its own.

Idempotent: roles and databases that exist are left as they are (passwords are reset to the
given ones), and the CONNECT privileges are enforced every time.
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from kanban.db.urls import DatabaseUrl


@dataclass(frozen=True)
class ProvisionPlan:
    api_database: str = "kanban_api"
    api_role: str = "kanban_api"
    api_password: str = "kanban_api"
    worker_database: str = "kanban_worker"
    worker_role: str = "kanban_worker"
    worker_password: str = "kanban_worker"


def _ident(name: str) -> str:
    if not name.replace("_", "").isalnum():
        raise ValueError(f"refusing unusual identifier {name!r}")
    return f'"{name}"'


async def provision(admin: DatabaseUrl, plan: ProvisionPlan) -> list[str]:
    """Apply the plan; returns a line per action taken."""
    conn = await asyncpg.connect(admin.libpq_dsn)
    actions: list[str] = []
    try:
        pairs = [
            (plan.api_role, plan.api_password, plan.api_database),
            (plan.worker_role, plan.worker_password, plan.worker_database),
        ]
        for role, password, database in pairs:
            exists = await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role)
            verb = "ALTER" if exists else "CREATE"
            # Passwords cannot be bound parameters in DDL; quote them as a literal.
            literal = "'" + password.replace("'", "''") + "'"
            await conn.execute(
                f"{verb} ROLE {_ident(role)} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD {literal}"
            )
            actions.append(f"role {role} {'updated' if exists else 'created'}")
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
    return actions


def service_urls(admin: DatabaseUrl, plan: ProvisionPlan) -> dict[str, str]:
    """The URLs each service should use, on the admin URL's host and port."""
    base = admin.url
    return {
        "API_DATABASE_URL": base.set(
            username=plan.api_role, password=plan.api_password, database=plan.api_database
        ).render_as_string(hide_password=False),
        "WORKER_DATABASE_URL": base.set(
            username=plan.worker_role, password=plan.worker_password, database=plan.worker_database
        ).render_as_string(hide_password=False),
    }

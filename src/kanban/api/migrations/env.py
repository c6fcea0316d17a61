"""Alembic environment of the api database."""

from alembic import context

from kanban.api.tables import metadata
from kanban.db.migrations import run_in_alembic_env

run_in_alembic_env(context, metadata)

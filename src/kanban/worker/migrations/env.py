"""Alembic environment of the worker database."""

from alembic import context

from kanban.db.migrations import run_in_alembic_env
from kanban.worker.tables import metadata

run_in_alembic_env(context, metadata)

"""The error a migration run raises, apart from the Alembic machinery so catching it imports none of it."""

from __future__ import annotations


class MigrationError(Exception):
    """A migration could not run; the message says which database and why."""

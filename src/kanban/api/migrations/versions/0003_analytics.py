"""task events record the from/to column types at write time

Revision ID: 0003_analytics
Revises: 0003_perf

Events written before this revision get the type their column has at upgrade time (the best
knowledge left); an event whose column is already gone keeps NULL, and flow analytics then
falls back as ADR 0022 describes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_analytics"
down_revision: str | None = "0003_perf"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen here (not imported from tables.py): a migration keeps the schema of its day.
FLOW = "to_column_id IS NOT NULL OR to_column_type IS NOT NULL OR type = 'deleted'"


def upgrade() -> None:
    with op.batch_alter_table("task_events") as batch:
        batch.add_column(sa.Column("from_column_type", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("to_column_type", sa.String(length=16), nullable=True))
    with op.batch_alter_table("task_events") as batch:
        batch.create_index(
            "ix_task_events_flow",
            ["board_id", "created_at"],
            unique=False,
            postgresql_where=sa.text(FLOW),
            sqlite_where=sa.text(FLOW),
            postgresql_include=["task_id", "type", "to_column_id", "to_column_type"],
        )
    for side in ("from", "to"):
        op.execute(
            f"UPDATE task_events SET {side}_column_type = "
            f"(SELECT columns.type FROM columns WHERE columns.id = task_events.{side}_column_id) "
            f"WHERE {side}_column_id IS NOT NULL"
        )


def downgrade() -> None:
    with op.batch_alter_table("task_events") as batch:
        batch.drop_index("ix_task_events_flow")
        batch.drop_column("to_column_type")
        batch.drop_column("from_column_type")

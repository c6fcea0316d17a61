"""agents' input fingerprints: what each agent read, and what every agent reads of a task

Revision ID: 0002_hints
Revises: 0002_data
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import kanban.db.types

revision: str = "0002_hints"
down_revision: str | None = "0002_data"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("task_snapshots") as batch:
        batch.add_column(sa.Column("input_key", sa.String(length=32), nullable=True))
    op.create_table(
        "agent_inputs",
        sa.Column("task_id", sa.String(length=36), nullable=False),
        sa.Column("agent_id", sa.String(length=100), nullable=False),
        sa.Column("input_key", sa.String(length=32), nullable=False),
        sa.Column("job_id", sa.String(length=36), nullable=False),
        sa.Column("updated_at", kanban.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("task_id", "agent_id", name=op.f("pk_agent_inputs")),
    )


def downgrade() -> None:
    op.drop_table("agent_inputs")
    with op.batch_alter_table("task_snapshots") as batch:
        batch.drop_column("input_key")

"""hints know what they replaced and what they were made from; each task's last analysis

Revision ID: 0003_hints
Revises: 0003_data
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import kanban.db.types

revision: str = "0003_hints"
down_revision: str | None = "0003_data"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("hints") as batch:
        batch.add_column(sa.Column("supersedes", sa.String(length=36), nullable=True))
        batch.add_column(sa.Column("superseded_by", sa.String(length=36), nullable=True))
        batch.add_column(sa.Column("basis", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("value_key", sa.Text(), nullable=True))
        batch.create_index("ix_hints_task_status", ["task_id", "status"], unique=False)
    op.create_table(
        "task_analyses",
        sa.Column("task_id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("job_id", sa.String(length=36), nullable=True),
        sa.Column("task_version", sa.Integer(), nullable=True),
        sa.Column("proposed", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "failed_agents",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("analysed_at", kanban.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"], name=op.f("fk_task_analyses_task_id_tasks"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("task_id", name=op.f("pk_task_analyses")),
    )


def downgrade() -> None:
    op.drop_table("task_analyses")
    with op.batch_alter_table("hints") as batch:
        batch.drop_index("ix_hints_task_status")
        batch.drop_column("value_key")
        batch.drop_column("basis")
        batch.drop_column("superseded_by")
        batch.drop_column("supersedes")

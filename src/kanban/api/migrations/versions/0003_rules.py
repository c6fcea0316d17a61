"""rules run: schedule cursor, failure count, run log, event origins

Revision ID: 0003_rules
Revises: 0003_hints
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from kanban.db.types import Id, JsonDocument, UtcDateTime

revision: str = "0003_rules"
down_revision: str | None = "0003_hints"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("rules") as batch:
        batch.add_column(sa.Column("next_run_at", UtcDateTime(), nullable=True))
        batch.add_column(sa.Column("failure_count", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("disabled_reason", sa.Text(), nullable=True))
    op.create_table(
        "rule_runs",
        sa.Column("id", Id(), nullable=False),
        sa.Column("rule_id", Id(), nullable=False),
        sa.Column("board_id", Id(), nullable=False),
        sa.Column("trigger_key", sa.String(length=200), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=True),
        sa.Column("event_type", sa.String(length=32), nullable=True),
        sa.Column("task_id", Id(), nullable=True),
        sa.Column("occurrence_at", UtcDateTime(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("depth", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("detail", JsonDocument, nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rule_runs")),
        sa.ForeignKeyConstraint(["rule_id"], ["rules.id"], name=op.f("fk_rule_runs_rule_id_rules"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["board_id"], ["boards.id"], name=op.f("fk_rule_runs_board_id_boards"), ondelete="CASCADE"
        ),
        sa.UniqueConstraint("rule_id", "trigger_key", name=op.f("uq_rule_runs_rule_id_trigger_key")),
    )
    op.create_index("ix_rule_runs_rule_time", "rule_runs", ["rule_id", "created_at"])
    op.create_index("ix_rule_runs_rule_task", "rule_runs", ["rule_id", "task_id", "occurrence_at"])
    op.create_table(
        "rule_event_origins",
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("rule_id", Id(), nullable=False),
        sa.Column("depth", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_rule_event_origins")),
    )
    op.create_index("ix_rule_event_origins_created_at", "rule_event_origins", ["created_at"])


def downgrade() -> None:
    op.drop_table("rule_event_origins")
    op.drop_table("rule_runs")
    with op.batch_alter_table("rules") as batch:
        batch.drop_column("disabled_reason")
        batch.drop_column("failure_count")
        batch.drop_column("next_run_at")

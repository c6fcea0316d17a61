"""initial worker schema

Revision ID: 0001
Revises:
Create Date: 2026-11-24 05:51:26.507083
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import kanban.db.types

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "agent_jobs",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("task_id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("task_version", sa.Integer(), nullable=False),
        sa.Column("run_after", kanban.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("lease_owner", sa.String(length=100), nullable=True),
        sa.Column("lease_expires_at", kanban.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("progress", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", kanban.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", kanban.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", kanban.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_jobs")),
    )
    with op.batch_alter_table("agent_jobs", schema=None) as batch_op:
        batch_op.create_index("ix_agent_jobs_claim", ["status", "run_after"], unique=False)
        batch_op.create_index("ix_agent_jobs_task", ["task_id", "status"], unique=False)
        batch_op.create_index(
            "uq_agent_jobs_one_queued",
            ["task_id"],
            unique=True,
            postgresql_where=sa.text("status = 'queued'"),
            sqlite_where=sa.text("status = 'queued'"),
        )
        batch_op.create_index(
            "uq_agent_jobs_one_running",
            ["task_id"],
            unique=True,
            postgresql_where=sa.text("status = 'running'"),
            sqlite_where=sa.text("status = 'running'"),
        )

    op.create_table(
        "agent_memory",
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.Column("objective", sa.Text(), server_default="", nullable=False),
        sa.Column(
            "memory",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", kanban.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", kanban.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("project_id", name=op.f("pk_agent_memory")),
    )
    op.create_table(
        "agent_results",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("job_id", sa.String(length=36), nullable=False),
        sa.Column("task_id", sa.String(length=36), nullable=False),
        sa.Column("agent_id", sa.String(length=100), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column(
            "output",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("duration_ms", sa.Float(), nullable=False),
        sa.Column("created_at", kanban.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_results")),
    )
    with op.batch_alter_table("agent_results", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agent_results_job_id"), ["job_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_agent_results_task_id"), ["task_id"], unique=False)

    op.create_table(
        "aggregate_cursors",
        sa.Column("consumer", sa.String(length=50), nullable=False),
        sa.Column("aggregate_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("updated_at", kanban.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("consumer", "aggregate_id", name=op.f("pk_aggregate_cursors")),
    )
    op.create_table(
        "board_snapshots",
        sa.Column("board_id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "state",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("deleted", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("updated_at", kanban.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("board_id", name=op.f("pk_board_snapshots")),
    )
    op.create_table(
        "dead_letters",
        sa.Column("consumer", sa.String(length=50), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("event_type", sa.String(length=100), nullable=False),
        sa.Column("aggregate_id", sa.String(length=64), nullable=False),
        sa.Column("envelope", sa.Text(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("dead_at", kanban.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("consumer", "event_id", name=op.f("pk_dead_letters")),
    )
    op.create_table(
        "hint_drafts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("job_id", sa.String(length=36), nullable=False),
        sa.Column("task_id", sa.String(length=36), nullable=False),
        sa.Column("agent_id", sa.String(length=100), nullable=False),
        sa.Column("hint_type", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=True),
        sa.Column("content", sa.Text(), nullable=True),
        sa.Column(
            "data",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("untrusted", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", kanban.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("synced_at", kanban.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hint_drafts")),
    )
    with op.batch_alter_table("hint_drafts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hint_drafts_job_id"), ["job_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_hint_drafts_task_id"), ["task_id"], unique=False)

    op.create_table(
        "inbox",
        sa.Column("consumer", sa.String(length=50), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("event_type", sa.String(length=100), nullable=False),
        sa.Column("aggregate_id", sa.String(length=64), nullable=False),
        sa.Column("aggregate_version", sa.Integer(), nullable=True),
        sa.Column("envelope", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("received_at", kanban.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", kanban.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("processed_at", kanban.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("consumer", "event_id", name=op.f("pk_inbox")),
    )
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.create_index("ix_inbox_aggregate", ["consumer", "aggregate_id", "aggregate_version"], unique=False)
        batch_op.create_index("ix_inbox_ready", ["consumer", "status", "next_attempt_at"], unique=False)

    op.create_table(
        "leases",
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("owner", sa.String(length=100), nullable=False),
        sa.Column("expires_at", kanban.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_leases")),
    )
    op.create_table(
        "outbox",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("event_type", sa.String(length=100), nullable=False),
        sa.Column("destination", sa.String(length=20), nullable=False),
        sa.Column("aggregate_id", sa.String(length=64), nullable=False),
        sa.Column("envelope", sa.Text(), nullable=False),
        sa.Column("created_at", kanban.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", kanban.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_outbox")),
        sa.UniqueConstraint("event_id", name=op.f("uq_outbox_event_id")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(
            "ix_outbox_pending",
            ["seq"],
            unique=False,
            postgresql_where=sa.text("sent_at IS NULL"),
            sqlite_where=sa.text("sent_at IS NULL"),
        )
        batch_op.create_index("ix_outbox_sent_at", ["sent_at"], unique=False)

    op.create_table(
        "project_snapshots",
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.Column("board_id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "state",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("deleted", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("updated_at", kanban.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("project_id", name=op.f("pk_project_snapshots")),
    )
    with op.batch_alter_table("project_snapshots", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_project_snapshots_board_id"), ["board_id"], unique=False)

    op.create_table(
        "tag_snapshots",
        sa.Column("tag_id", sa.String(length=36), nullable=False),
        sa.Column("board_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("updated_at", kanban.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tag_id", name=op.f("pk_tag_snapshots")),
    )
    with op.batch_alter_table("tag_snapshots", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tag_snapshots_board_id"), ["board_id"], unique=False)

    op.create_table(
        "task_snapshots",
        sa.Column("task_id", sa.String(length=36), nullable=False),
        sa.Column("board_id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "state",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("deleted", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("updated_at", kanban.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("task_id", name=op.f("pk_task_snapshots")),
    )
    with op.batch_alter_table("task_snapshots", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_task_snapshots_board_id"), ["board_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("task_snapshots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_task_snapshots_board_id"))

    op.drop_table("task_snapshots")
    with op.batch_alter_table("tag_snapshots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tag_snapshots_board_id"))

    op.drop_table("tag_snapshots")
    with op.batch_alter_table("project_snapshots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_project_snapshots_board_id"))

    op.drop_table("project_snapshots")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_sent_at")
        batch_op.drop_index(
            "ix_outbox_pending",
            postgresql_where=sa.text("sent_at IS NULL"),
            sqlite_where=sa.text("sent_at IS NULL"),
        )

    op.drop_table("outbox")
    op.drop_table("leases")
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.drop_index("ix_inbox_ready")
        batch_op.drop_index("ix_inbox_aggregate")

    op.drop_table("inbox")
    with op.batch_alter_table("hint_drafts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hint_drafts_task_id"))
        batch_op.drop_index(batch_op.f("ix_hint_drafts_job_id"))

    op.drop_table("hint_drafts")
    op.drop_table("dead_letters")
    op.drop_table("board_snapshots")
    op.drop_table("aggregate_cursors")
    with op.batch_alter_table("agent_results", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agent_results_task_id"))
        batch_op.drop_index(batch_op.f("ix_agent_results_job_id"))

    op.drop_table("agent_results")
    op.drop_table("agent_memory")
    with op.batch_alter_table("agent_jobs", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_agent_jobs_one_running",
            postgresql_where=sa.text("status = 'running'"),
            sqlite_where=sa.text("status = 'running'"),
        )
        batch_op.drop_index(
            "uq_agent_jobs_one_queued",
            postgresql_where=sa.text("status = 'queued'"),
            sqlite_where=sa.text("status = 'queued'"),
        )
        batch_op.drop_index("ix_agent_jobs_task")
        batch_op.drop_index("ix_agent_jobs_claim")

    op.drop_table("agent_jobs")

"""initial api schema

Revision ID: 0001
Revises:
Create Date: 2026-11-24 05:51:25.002133
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
        "aggregate_cursors",
        sa.Column("consumer", sa.String(length=50), nullable=False),
        sa.Column("aggregate_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("updated_at", kanban.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("consumer", "aggregate_id", name=op.f("pk_aggregate_cursors")),
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
        "login_attempts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=400), nullable=False),
        sa.Column("attempted_at", kanban.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_attempts")),
    )
    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.create_index("ix_login_attempts_key_time", ["key", "attempted_at"], unique=False)

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
        "users",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("password_hash", sa.String(length=200), nullable=True),
        sa.Column("timezone", sa.String(length=64), server_default="UTC", nullable=False),
        sa.Column("default_board_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", kanban.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", kanban.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    op.create_table(
        "boards",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("owner_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "config",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", kanban.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", kanban.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_boards_owner_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_boards")),
    )
    with op.batch_alter_table("boards", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_boards_owner_id"), ["owner_id"], unique=False)

    op.create_table(
        "refresh_tokens",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("family_id", sa.String(length=36), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("issued_at", kanban.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", kanban.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("used_at", kanban.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", kanban.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_refresh_tokens_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refresh_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_refresh_tokens_token_hash")),
    )
    with op.batch_alter_table("refresh_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_refresh_tokens_family_id"), ["family_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_refresh_tokens_user_id"), ["user_id"], unique=False)

    op.create_table(
        "columns",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("board_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("wip_limit", sa.Integer(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", kanban.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", kanban.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "type IN ('INPUT','CLARIFY','CONTEXT','WAITING','SOMEDAY','DONE','ARCHIVE')",
            name=op.f("ck_columns_column_type"),
        ),
        sa.CheckConstraint("wip_limit IS NULL OR wip_limit >= 1", name=op.f("ck_columns_wip_limit_positive")),
        sa.ForeignKeyConstraint(
            ["board_id"], ["boards.id"], name=op.f("fk_columns_board_id_boards"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_columns")),
    )
    with op.batch_alter_table("columns", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_columns_board_id"), ["board_id"], unique=False)

    op.create_table(
        "projects",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("board_id", sa.String(length=36), nullable=False),
        sa.Column("owner_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("desired_outcome", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=20), server_default="active", nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", kanban.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", kanban.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["board_id"], ["boards.id"], name=op.f("fk_projects_board_id_boards"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_projects_owner_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_projects")),
    )
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_projects_board_id"), ["board_id"], unique=False)

    op.create_table(
        "recurring_templates",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("board_id", sa.String(length=36), nullable=False),
        sa.Column("owner_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "payload",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("rrule", sa.String(length=500), nullable=False),
        sa.Column("timezone", sa.String(length=64), server_default="UTC", nullable=False),
        sa.Column("next_run_at", kanban.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_run_at", kanban.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", kanban.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", kanban.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["board_id"],
            ["boards.id"],
            name=op.f("fk_recurring_templates_board_id_boards"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_recurring_templates_owner_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recurring_templates")),
    )
    with op.batch_alter_table("recurring_templates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recurring_templates_board_id"), ["board_id"], unique=False)

    op.create_table(
        "rules",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("board_id", sa.String(length=36), nullable=False),
        sa.Column("owner_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("enabled", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("priority", sa.Integer(), server_default="100", nullable=False),
        sa.Column(
            "trigger",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "conditions",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "actions",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("last_run_at", kanban.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("created_at", kanban.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", kanban.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["board_id"], ["boards.id"], name=op.f("fk_rules_board_id_boards"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_rules_owner_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rules")),
    )
    with op.batch_alter_table("rules", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rules_board_id"), ["board_id"], unique=False)

    op.create_table(
        "tags",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("board_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("name_key", sa.String(length=100), nullable=False),
        sa.Column("color", sa.String(length=16), server_default="#94a3b8", nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", kanban.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", kanban.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["board_id"], ["boards.id"], name=op.f("fk_tags_board_id_boards"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tags")),
        sa.UniqueConstraint("board_id", "name_key", name=op.f("uq_tags_board_id_name_key")),
    )
    op.create_table(
        "task_events",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("task_id", sa.String(length=36), nullable=False),
        sa.Column("board_id", sa.String(length=36), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("from_column_id", sa.String(length=36), nullable=True),
        sa.Column("to_column_id", sa.String(length=36), nullable=True),
        sa.Column(
            "payload",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("triggered_by", sa.String(length=100), nullable=True),
        sa.Column("created_at", kanban.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["board_id"], ["boards.id"], name=op.f("fk_task_events_board_id_boards"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_events")),
    )
    with op.batch_alter_table("task_events", schema=None) as batch_op:
        batch_op.create_index("ix_task_events_board_time", ["board_id", "created_at"], unique=False)
        batch_op.create_index("ix_task_events_task_time", ["task_id", "created_at"], unique=False)

    op.create_table(
        "tasks",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("board_id", sa.String(length=36), nullable=False),
        sa.Column("column_id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=36), nullable=True),
        sa.Column("owner_id", sa.String(length=36), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("context", sa.String(length=16), nullable=True),
        sa.Column("waiting_for", sa.String(length=500), nullable=True),
        sa.Column("due_at", kanban.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("priority", sa.String(length=8), nullable=True),
        sa.Column("duration_minutes", sa.Integer(), nullable=True),
        sa.Column("needs_breakdown", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column(
            "metadata",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("is_done", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("wip_override", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", kanban.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", kanban.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("completed_at", kanban.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_moved_at", kanban.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("clarified_at", kanban.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "duration_minutes IS NULL OR duration_minutes >= 0", name=op.f("ck_tasks_duration_not_negative")
        ),
        sa.ForeignKeyConstraint(["board_id"], ["boards.id"], name=op.f("fk_tasks_board_id_boards"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["column_id"], ["columns.id"], name=op.f("fk_tasks_column_id_columns"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_tasks_owner_id_users"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_tasks_project_id_projects"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tasks")),
    )
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tasks_board_id"), ["board_id"], unique=False)
        batch_op.create_index("ix_tasks_column_position", ["column_id", "position"], unique=False)
        batch_op.create_index(batch_op.f("ix_tasks_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_tasks_project_id"), ["project_id"], unique=False)

    op.create_table(
        "checklist_items",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("task_id", sa.String(length=36), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("is_done", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", kanban.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", kanban.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"], name=op.f("fk_checklist_items_task_id_tasks"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checklist_items")),
    )
    with op.batch_alter_table("checklist_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_checklist_items_task_id"), ["task_id"], unique=False)

    op.create_table(
        "email_action_tokens",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("task_id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=32), server_default="complete", nullable=False),
        sa.Column("expires_at", kanban.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("used_at", kanban.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("created_at", kanban.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"], name=op.f("fk_email_action_tokens_task_id_tasks"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_email_action_tokens_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_action_tokens")),
        sa.UniqueConstraint("token", name=op.f("uq_email_action_tokens_token")),
    )
    op.create_table(
        "hints",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("task_id", sa.String(length=36), nullable=False),
        sa.Column("draft_id", sa.String(length=36), nullable=True),
        sa.Column("job_id", sa.String(length=36), nullable=True),
        sa.Column("agent_id", sa.String(length=100), nullable=False),
        sa.Column("hint_type", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=True),
        sa.Column("content", sa.Text(), nullable=True),
        sa.Column(
            "data",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("untrusted", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="proposed", nullable=False),
        sa.Column("auto_applied", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column(
            "undo",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("applied_at", kanban.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("dismissed_at", kanban.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("created_at", kanban.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", kanban.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"], name=op.f("fk_hints_task_id_tasks"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hints")),
        sa.UniqueConstraint("draft_id", name=op.f("uq_hints_draft_id")),
    )
    with op.batch_alter_table("hints", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hints_task_id"), ["task_id"], unique=False)

    op.create_table(
        "task_tags",
        sa.Column("task_id", sa.String(length=36), nullable=False),
        sa.Column("tag_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(["tag_id"], ["tags.id"], name=op.f("fk_task_tags_tag_id_tags"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"], name=op.f("fk_task_tags_task_id_tasks"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("task_id", "tag_id", name=op.f("pk_task_tags")),
    )
    with op.batch_alter_table("task_tags", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_task_tags_tag_id"), ["tag_id"], unique=False)
    # users and boards reference each other: the user's default board is linked once both exist.
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_foreign_key(
            op.f("fk_users_default_board_id_boards"),
            "boards",
            ["default_board_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("fk_users_default_board_id_boards"), type_="foreignkey")
    with op.batch_alter_table("task_tags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_task_tags_tag_id"))

    op.drop_table("task_tags")
    with op.batch_alter_table("hints", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hints_task_id"))

    op.drop_table("hints")
    op.drop_table("email_action_tokens")
    with op.batch_alter_table("checklist_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_checklist_items_task_id"))

    op.drop_table("checklist_items")
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tasks_project_id"))
        batch_op.drop_index(batch_op.f("ix_tasks_owner_id"))
        batch_op.drop_index("ix_tasks_column_position")
        batch_op.drop_index(batch_op.f("ix_tasks_board_id"))

    op.drop_table("tasks")
    with op.batch_alter_table("task_events", schema=None) as batch_op:
        batch_op.drop_index("ix_task_events_task_time")
        batch_op.drop_index("ix_task_events_board_time")

    op.drop_table("task_events")
    op.drop_table("tags")
    with op.batch_alter_table("rules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rules_board_id"))

    op.drop_table("rules")
    with op.batch_alter_table("recurring_templates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recurring_templates_board_id"))

    op.drop_table("recurring_templates")
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_projects_board_id"))

    op.drop_table("projects")
    with op.batch_alter_table("columns", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_columns_board_id"))

    op.drop_table("columns")
    with op.batch_alter_table("refresh_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_refresh_tokens_user_id"))
        batch_op.drop_index(batch_op.f("ix_refresh_tokens_family_id"))

    op.drop_table("refresh_tokens")
    with op.batch_alter_table("boards", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_boards_owner_id"))

    op.drop_table("boards")
    op.drop_table("users")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_sent_at")
        batch_op.drop_index(
            "ix_outbox_pending",
            postgresql_where=sa.text("sent_at IS NULL"),
            sqlite_where=sa.text("sent_at IS NULL"),
        )

    op.drop_table("outbox")
    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.drop_index("ix_login_attempts_key_time")

    op.drop_table("login_attempts")
    op.drop_table("leases")
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.drop_index("ix_inbox_ready")
        batch_op.drop_index("ix_inbox_aggregate")

    op.drop_table("inbox")
    op.drop_table("dead_letters")
    op.drop_table("aggregate_cursors")

"""The API database: the whole Kanban/GTD domain, plus the messaging tables."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    true,
)

from kanban.db.metadata import service_metadata
from kanban.db.types import Id, JsonDocument, UtcDateTime
from kanban.messaging.tables import add_messaging_tables

metadata = service_metadata()


def _timestamps() -> list[Column]:
    return [
        Column("created_at", UtcDateTime(), nullable=False),
        Column("updated_at", UtcDateTime(), nullable=False),
    ]


users = Table(
    "users",
    metadata,
    Column("id", Id(), primary_key=True),
    Column("email", String(320), nullable=False, unique=True),
    # What the address looks like (kanban.api.security.emails): a look-alike of an account is refused.
    Column("email_skeleton", String(320), nullable=True, index=True),
    Column("name", String(200), nullable=True),
    Column("password_hash", String(200), nullable=True),
    Column("timezone", String(64), nullable=False, server_default="UTC"),
    Column("default_board_id", Id(), ForeignKey("boards.id", ondelete="SET NULL", use_alter=True), nullable=True),
    *_timestamps(),
)

refresh_tokens = Table(
    "refresh_tokens",
    metadata,
    Column("id", Id(), primary_key=True),
    Column("user_id", Id(), ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("family_id", Id(), nullable=False, index=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("issued_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
    Column("used_at", UtcDateTime(), nullable=True),
    Column("revoked_at", UtcDateTime(), nullable=True),
)

# One row per sign-in: a bearer-token sign-in (its id is the refresh-token family, carried by every
# access token as `sid`) or a browser cookie session (only the cookie's digest is stored). Revoking
# the row ends the sign-in at once: every request looks it up by primary key or digest.
auth_sessions = Table(
    "auth_sessions",
    metadata,
    Column("id", Id(), primary_key=True),
    Column("user_id", Id(), ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("kind", String(16), nullable=False),
    Column("token_hash", String(64), nullable=True, unique=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("last_seen_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
    Column("revoked_at", UtcDateTime(), nullable=True),
    CheckConstraint("kind IN ('token','cookie')", name="auth_session_kind"),
)

login_attempts = Table(
    "login_attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(400), nullable=False),
    Column("attempted_at", UtcDateTime(), nullable=False),
    Column("succeeded", Boolean, nullable=False),
    Index("ix_login_attempts_key_time", "key", "attempted_at"),
)

boards = Table(
    "boards",
    metadata,
    Column("id", Id(), primary_key=True),
    Column("owner_id", Id(), ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("description", Text, nullable=True),
    Column("config", JsonDocument, nullable=False),
    Column("version", Integer, nullable=False, server_default="1"),
    *_timestamps(),
)

columns = Table(
    "columns",
    metadata,
    Column("id", Id(), primary_key=True),
    Column("board_id", Id(), ForeignKey("boards.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("type", String(16), nullable=False),
    Column("wip_limit", Integer, nullable=True),
    Column("position", Integer, nullable=False),
    *_timestamps(),
    CheckConstraint("wip_limit IS NULL OR wip_limit >= 1", name="wip_limit_positive"),
    CheckConstraint("type IN ('INPUT','CLARIFY','CONTEXT','WAITING','SOMEDAY','DONE','ARCHIVE')", name="column_type"),
)

projects = Table(
    "projects",
    metadata,
    Column("id", Id(), primary_key=True),
    Column("board_id", Id(), ForeignKey("boards.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("owner_id", Id(), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("description", Text, nullable=True),
    Column("desired_outcome", Text, nullable=True),
    Column("status", String(20), nullable=False, server_default="active"),
    Column("version", Integer, nullable=False, server_default="1"),
    *_timestamps(),
)

tasks = Table(
    "tasks",
    metadata,
    Column("id", Id(), primary_key=True),
    Column("board_id", Id(), ForeignKey("boards.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("column_id", Id(), ForeignKey("columns.id", ondelete="CASCADE"), nullable=False),
    Column("project_id", Id(), ForeignKey("projects.id", ondelete="SET NULL"), nullable=True, index=True),
    Column("owner_id", Id(), ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("title", String(500), nullable=False),
    Column("description", Text, nullable=True),
    Column("context", String(16), nullable=True),
    Column("waiting_for", String(500), nullable=True),
    Column("due_at", UtcDateTime(), nullable=True),
    Column("priority", String(8), nullable=True),
    Column("duration_minutes", Integer, nullable=True),
    Column("needs_breakdown", Boolean, nullable=False, server_default=false()),
    Column("metadata", JsonDocument, nullable=True),
    Column("is_done", Boolean, nullable=False, server_default=false()),
    Column("position", Integer, nullable=False),
    Column("version", Integer, nullable=False, server_default="1"),
    Column("wip_override", Boolean, nullable=False, server_default=false()),
    *_timestamps(),
    Column("completed_at", UtcDateTime(), nullable=True),
    Column("last_moved_at", UtcDateTime(), nullable=False),
    Column("clarified_at", UtcDateTime(), nullable=True),
    # Where the task was captured (web, api, email, bookmarklet, mcp, cli, import, template, rule).
    Column("source", String(20), nullable=True),
    Index("ix_tasks_column_position", "column_id", "position"),
    CheckConstraint("duration_minutes IS NULL OR duration_minutes >= 0", name="duration_not_negative"),
)

checklist_items = Table(
    "checklist_items",
    metadata,
    Column("id", Id(), primary_key=True),
    Column("task_id", Id(), ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("title", String(500), nullable=False),
    Column("is_done", Boolean, nullable=False, server_default=false()),
    Column("position", Integer, nullable=False),
    *_timestamps(),
)

tags = Table(
    "tags",
    metadata,
    Column("id", Id(), primary_key=True),
    Column("board_id", Id(), ForeignKey("boards.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(100), nullable=False),
    # Lower-cased name: tags are unique per board regardless of case.
    Column("name_key", String(100), nullable=False),
    Column("color", String(16), nullable=False, server_default="#94a3b8"),
    Column("version", Integer, nullable=False, server_default="1"),
    *_timestamps(),
    UniqueConstraint("board_id", "name_key"),
)

task_tags = Table(
    "task_tags",
    metadata,
    Column("task_id", Id(), ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", Id(), ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True),
)

# The task's history. No foreign key to tasks: the log of a deleted task stays readable.
task_events = Table(
    "task_events",
    metadata,
    Column("id", Id(), primary_key=True),
    Column("task_id", Id(), nullable=False),
    Column("board_id", Id(), ForeignKey("boards.id", ondelete="CASCADE"), nullable=False),
    Column("type", String(32), nullable=False),
    Column("from_column_id", Id(), nullable=True),
    Column("to_column_id", Id(), nullable=True),
    Column("payload", JsonDocument, nullable=True),
    Column("triggered_by", String(100), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Index("ix_task_events_task_time", "task_id", "created_at"),
    Index("ix_task_events_board_time", "board_id", "created_at"),
)

rules = Table(
    "rules",
    metadata,
    Column("id", Id(), primary_key=True),
    Column("board_id", Id(), ForeignKey("boards.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("owner_id", Id(), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("description", Text, nullable=True),
    Column("enabled", Boolean, nullable=False, server_default=true()),
    Column("priority", Integer, nullable=False, server_default="100"),
    Column("trigger", JsonDocument, nullable=False),
    Column("conditions", JsonDocument, nullable=True),
    Column("actions", JsonDocument, nullable=False),
    Column("last_run_at", UtcDateTime(), nullable=True),
    *_timestamps(),
)

recurring_templates = Table(
    "recurring_templates",
    metadata,
    Column("id", Id(), primary_key=True),
    Column("board_id", Id(), ForeignKey("boards.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("owner_id", Id(), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("description", Text, nullable=True),
    Column("payload", JsonDocument, nullable=False),
    Column("rrule", String(500), nullable=False),
    Column("timezone", String(64), nullable=False, server_default="UTC"),
    Column("next_run_at", UtcDateTime(), nullable=True),
    Column("last_run_at", UtcDateTime(), nullable=True),
    Column("is_active", Boolean, nullable=False, server_default=true()),
    *_timestamps(),
)

hints = Table(
    "hints",
    metadata,
    Column("id", Id(), primary_key=True),
    Column("task_id", Id(), ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False, index=True),
    # The Worker's draft id: storing a hint is idempotent by it.
    Column("draft_id", Id(), nullable=True, unique=True),
    Column("job_id", Id(), nullable=True),
    Column("agent_id", String(100), nullable=False),
    Column("hint_type", String(32), nullable=False),
    Column("title", String(500), nullable=True),
    Column("content", Text, nullable=True),
    Column("data", JsonDocument, nullable=True),
    Column("confidence", Float, nullable=True),
    Column("untrusted", Boolean, nullable=False, server_default=false()),
    # proposed | applied | dismissed | undone
    Column("status", String(16), nullable=False, server_default="proposed"),
    Column("auto_applied", Boolean, nullable=False, server_default=false()),
    # What applying changed, so that undo can put it back.
    Column("undo", JsonDocument, nullable=True),
    Column("applied_at", UtcDateTime(), nullable=True),
    Column("dismissed_at", UtcDateTime(), nullable=True),
    *_timestamps(),
)

email_action_tokens = Table(
    "email_action_tokens",
    metadata,
    Column("id", Id(), primary_key=True),
    Column("task_id", Id(), ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", Id(), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("token", String(64), nullable=False, unique=True),
    Column("action", String(32), nullable=False, server_default="complete"),
    Column("expires_at", UtcDateTime(), nullable=False),
    Column("used_at", UtcDateTime(), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
)

messaging = add_messaging_tables(metadata)

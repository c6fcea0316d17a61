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
    text,
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
    # A sparse rank within the column (see tasks/rules.py rank_between); responses give the dense index.
    Column("position", Float, nullable=False),
    Column("version", Integer, nullable=False, server_default="1"),
    Column("wip_override", Boolean, nullable=False, server_default=false()),
    *_timestamps(),
    Column("completed_at", UtcDateTime(), nullable=True),
    Column("last_moved_at", UtcDateTime(), nullable=False),
    Column("clarified_at", UtcDateTime(), nullable=True),
    # Where the task was captured (web, api, email, bookmarklet, share, mcp, cli, import, template, rule).
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

# The events that place a task (in a column, or a retype in place) or take it off the board.
FLOW_EVENT_PREDICATE = "to_column_id IS NOT NULL OR to_column_type IS NOT NULL OR type = 'deleted'"

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
    # The columns' types when the event was written: renaming or retyping a column later never
    # rewrites the flow history that analytics reads (a retype itself is logged with both types).
    Column("from_column_type", String(16), nullable=True),
    Column("to_column_type", String(16), nullable=True),
    Column("payload", JsonDocument, nullable=True),
    Column("triggered_by", String(100), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Index("ix_task_events_task_time", "task_id", "created_at"),
    Index("ix_task_events_board_time", "board_id", "created_at"),
    # Flow analytics replay a board's placements in time order: this partial index hands them over
    # without reading the edits in between (on PostgreSQL without touching the table at all).
    Index(
        "ix_task_events_flow",
        "board_id",
        "created_at",
        postgresql_where=text(FLOW_EVENT_PREDICATE),
        sqlite_where=text(FLOW_EVENT_PREDICATE),
        postgresql_include=["task_id", "type", "to_column_id", "to_column_type"],
    ),
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
    # The next occurrence of a `schedule` trigger; claimed by moving it forward (like templates).
    Column("next_run_at", UtcDateTime(), nullable=True),
    # Failed runs in a row; at the limit the rule is disabled and `disabled_reason` says why.
    Column("failure_count", Integer, nullable=False, server_default="0"),
    Column("disabled_reason", Text, nullable=True),
)

# Every run of a rule: when, on which event or occurrence, and what it did or why it did nothing.
# `trigger_key` (the event id, or the time occurrence) is unique per rule: each fires once.
rule_runs = Table(
    "rule_runs",
    metadata,
    Column("id", Id(), primary_key=True),
    Column("rule_id", Id(), ForeignKey("rules.id", ondelete="CASCADE"), nullable=False),
    Column("board_id", Id(), ForeignKey("boards.id", ondelete="CASCADE"), nullable=False),
    Column("trigger_key", String(200), nullable=False),
    Column("event_id", String(36), nullable=True),
    Column("event_type", String(32), nullable=True),
    # No foreign key: the run log of a deleted task stays readable.
    Column("task_id", Id(), nullable=True),
    Column("occurrence_at", UtcDateTime(), nullable=True),
    # applied | no_match | refused | failed | skipped
    Column("status", String(16), nullable=False),
    Column("depth", Integer, nullable=False, server_default="0"),
    Column("detail", JsonDocument, nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    UniqueConstraint("rule_id", "trigger_key"),
    Index("ix_rule_runs_rule_time", "rule_id", "created_at"),
    Index("ix_rule_runs_rule_task", "rule_id", "task_id", "occurrence_at"),
)

# Which rule recorded an event, and how deep in a chain: the engine's loop guard.
rule_event_origins = Table(
    "rule_event_origins",
    metadata,
    Column("event_id", String(36), primary_key=True),
    Column("rule_id", Id(), nullable=False),
    Column("depth", Integer, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False, index=True),
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
    # proposed | applied | dismissed | undone | superseded (a later analysis replaced or withdrew it)
    Column("status", String(16), nullable=False, server_default="proposed"),
    Column("auto_applied", Boolean, nullable=False, server_default=false()),
    # What applying changed, so that undo can put it back.
    Column("undo", JsonDocument, nullable=True),
    Column("applied_at", UtcDateTime(), nullable=True),
    Column("dismissed_at", UtcDateTime(), nullable=True),
    # The proposal this one replaced, and the one that replaced it (None when withdrawn).
    Column("supersedes", Id(), nullable=True),
    Column("superseded_by", Id(), nullable=True),
    # The task content the hint was made from, and its value in comparable form: a value the owner
    # dismissed or applied is not proposed again for the same content.
    Column("basis", String(32), nullable=True),
    Column("value_key", Text, nullable=True),
    *_timestamps(),
    Index("ix_hints_task_status", "task_id", "status"),
)

# The last analysis of each task: analysed (with or without hints) or failed, visible in the API.
task_analyses = Table(
    "task_analyses",
    metadata,
    Column("task_id", Id(), ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True),
    # analysed | failed
    Column("status", String(16), nullable=False),
    Column("job_id", Id(), nullable=True),
    Column("task_version", Integer, nullable=True),
    Column("proposed", Integer, nullable=False, server_default="0"),
    Column("failed_agents", JsonDocument, nullable=True),
    Column("error", Text, nullable=True),
    Column("analysed_at", UtcDateTime(), nullable=False),
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

# One row per file imported into an account: importing the same file again is a no-op, not a second board.
imports = Table(
    "imports",
    metadata,
    Column("id", Id(), primary_key=True),
    Column("user_id", Id(), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    # The file's identity: a native export's exportId, else the SHA-256 of its bytes, prefixed by its format.
    Column("key", String(200), nullable=False),
    Column("format", String(20), nullable=False),
    Column("board_ids", JsonDocument, nullable=False),
    Column("report", JsonDocument, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    UniqueConstraint("user_id", "key"),
)

# --- capture (api/capture) ---------------------------------------------------------------

# One row per idempotency key: a retried capture (HTTP Idempotency-Key, an email's Message-ID)
# finds the task or template the first attempt made instead of making another.
capture_requests = Table(
    "capture_requests",
    metadata,
    Column("id", Id(), primary_key=True),
    Column("user_id", Id(), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("idempotency_key", String(300), nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("result_kind", String(16), nullable=True),  # task | template
    Column("result_id", Id(), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    UniqueConstraint("user_id", "idempotency_key"),
)

# Personal access tokens: only a SHA-256 of the token is kept; `scopes` is a space-separated set.
personal_access_tokens = Table(
    "personal_access_tokens",
    metadata,
    Column("id", Id(), primary_key=True),
    Column("user_id", Id(), ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("name", String(100), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("prefix", String(16), nullable=False),
    Column("scopes", String(100), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=True),
    Column("last_used_at", UtcDateTime(), nullable=True),
    Column("revoked_at", UtcDateTime(), nullable=True),
)

# The secret iCalendar feed URL of a user (hash only); revoking sets revoked_at, a new one is a new row.
calendar_feeds = Table(
    "calendar_feeds",
    metadata,
    Column("id", Id(), primary_key=True),
    Column("user_id", Id(), ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("revoked_at", UtcDateTime(), nullable=True),
)

# The daily digest: the hour (in the user's time zone) and whether it is on.
digest_subscriptions = Table(
    "digest_subscriptions",
    metadata,
    Column("user_id", Id(), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("enabled", Boolean, nullable=False, server_default=true()),
    Column("hour", Integer, nullable=False, server_default="7"),
    *_timestamps(),
    CheckConstraint("hour >= 0 AND hour <= 23", name="digest_hour"),
)

# One row per user and local day, claimed before the digest is sent: at most one a day, whatever
# the replicas and restarts.
digest_deliveries = Table(
    "digest_deliveries",
    metadata,
    Column("user_id", Id(), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("day", String(10), primary_key=True),  # YYYY-MM-DD in the user's zone
    Column("claimed_at", UtcDateTime(), nullable=False),
    Column("sent_at", UtcDateTime(), nullable=True),
)

# What a rule's `notify` action put in its owner's next digest; deleted once a digest carrying it is sent.
# The task's title is kept as it was when the rule ran; a deleted task takes its notices with it.
digest_rule_items = Table(
    "digest_rule_items",
    metadata,
    Column("id", Id(), primary_key=True),
    Column("user_id", Id(), ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("task_id", Id(), ForeignKey("tasks.id", ondelete="CASCADE"), nullable=True, index=True),
    Column("rule_id", Id(), nullable=True),
    Column("rule_name", String(200), nullable=False),
    Column("task_title", Text, nullable=True),
    Column("message", Text, nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
)

# Outgoing webhooks a user registered. The secret signs every delivery, so it is kept as given (a
# digest cannot sign), and it is never returned after the response that created it.
webhooks = Table(
    "webhooks",
    metadata,
    Column("id", Id(), primary_key=True),
    Column("user_id", Id(), ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("name", String(100), nullable=False),
    Column("url", String(2000), nullable=False),
    Column("secret", String(100), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)

# One POST to a webhook, written in the transaction of the rule run that asked for it and sent by
# the delivery loop: pending until a 2xx (delivered) or the last attempt (failed). `claimed_until`
# is the sender's short claim, so two replicas never send one delivery at the same time.
webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", Id(), primary_key=True),
    Column("webhook_id", Id(), ForeignKey("webhooks.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", Id(), ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    # No foreign keys: the record of a deleted rule's deliveries stays readable.
    Column("rule_id", Id(), nullable=True),
    Column("run_id", Id(), nullable=True),
    Column("payload", JsonDocument, nullable=False),
    Column("status", String(16), nullable=False),  # pending | delivered | failed
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", UtcDateTime(), nullable=False),
    Column("claimed_until", UtcDateTime(), nullable=True),
    Column("last_status", Integer, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("delivered_at", UtcDateTime(), nullable=True),
    Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
    Index("ix_webhook_deliveries_webhook_time", "webhook_id", "created_at"),
)

# Where the mailbox watcher stands in each IMAP folder: UIDs are only meaningful with their UIDVALIDITY.
mailbox_checkpoints = Table(
    "mailbox_checkpoints",
    metadata,
    Column("mailbox", String(300), primary_key=True),
    Column("uidvalidity", Integer, nullable=False),
    Column("last_uid", Integer, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

messaging = add_messaging_tables(metadata)

"""The Worker database: jobs, agent results, hint drafts, its read model of tasks, agent memory."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Float, Index, Integer, String, Table, Text, false, text

from kanban.db.metadata import service_metadata
from kanban.db.types import Id, JsonDocument, UtcDateTime
from kanban.messaging.tables import add_messaging_tables

metadata = service_metadata()

# The read model, built only from API events. A deleted task keeps a tombstone row.
task_snapshots = Table(
    "task_snapshots",
    metadata,
    Column("task_id", Id(), primary_key=True),
    Column("board_id", Id(), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("state", JsonDocument, nullable=True),
    Column("deleted", Boolean, nullable=False, server_default=false()),
    Column("updated_at", UtcDateTime(), nullable=False),
    # Fingerprint of every field an agent reads, as of the last job queued: an equal one queues none.
    Column("input_key", String(32), nullable=True),
)

board_snapshots = Table(
    "board_snapshots",
    metadata,
    Column("board_id", Id(), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("state", JsonDocument, nullable=True),
    Column("deleted", Boolean, nullable=False, server_default=false()),
    Column("updated_at", UtcDateTime(), nullable=False),
)

tag_snapshots = Table(
    "tag_snapshots",
    metadata,
    Column("tag_id", Id(), primary_key=True),
    Column("board_id", Id(), nullable=False, index=True),
    Column("name", String(100), nullable=False),
    Column("version", Integer, nullable=False),
    Column("deleted", Boolean, nullable=False, server_default=false()),
    Column("updated_at", UtcDateTime(), nullable=False),
)

project_snapshots = Table(
    "project_snapshots",
    metadata,
    Column("project_id", Id(), primary_key=True),
    Column("board_id", Id(), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("state", JsonDocument, nullable=True),
    Column("deleted", Boolean, nullable=False, server_default=false()),
    Column("updated_at", UtcDateTime(), nullable=False),
)

agent_jobs = Table(
    "agent_jobs",
    metadata,
    Column("id", Id(), primary_key=True),
    Column("task_id", Id(), nullable=False),
    # queued | running | succeeded | failed | cancelled
    Column("status", String(16), nullable=False),
    Column("reason", String(32), nullable=False),
    Column("task_version", Integer, nullable=False),
    Column("run_after", UtcDateTime(), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("lease_owner", String(100), nullable=True),
    Column("lease_expires_at", UtcDateTime(), nullable=True),
    Column("progress", Integer, nullable=False, server_default="0"),
    Column("last_error", Text, nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("finished_at", UtcDateTime(), nullable=True),
    # 0 interactive, 1 background: jobs of a board digesting a bulk change (an import) wait behind others.
    Column("priority", Integer, nullable=False, server_default="0"),
    Index("ix_agent_jobs_claim", "status", "run_after"),
    Index("ix_agent_jobs_task", "task_id", "status"),
    # At most one queued and one running job per task: a burst of edits coalesces.
    Index(
        "uq_agent_jobs_one_queued",
        "task_id",
        unique=True,
        postgresql_where=text("status = 'queued'"),
        sqlite_where=text("status = 'queued'"),
    ),
    Index(
        "uq_agent_jobs_one_running",
        "task_id",
        unique=True,
        postgresql_where=text("status = 'running'"),
        sqlite_where=text("status = 'running'"),
    ),
)

agent_results = Table(
    "agent_results",
    metadata,
    Column("id", Id(), primary_key=True),
    Column("job_id", Id(), nullable=False, index=True),
    Column("task_id", Id(), nullable=False, index=True),
    Column("agent_id", String(100), nullable=False),
    Column("provider", String(32), nullable=False),
    Column("output", JsonDocument, nullable=True),
    Column("error", Text, nullable=True),
    Column("duration_ms", Float, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)

hint_drafts = Table(
    "hint_drafts",
    metadata,
    Column("id", Id(), primary_key=True),
    Column("job_id", Id(), nullable=False, index=True),
    Column("task_id", Id(), nullable=False, index=True),
    Column("agent_id", String(100), nullable=False),
    Column("hint_type", String(32), nullable=False),
    Column("title", String(500), nullable=True),
    Column("content", Text, nullable=True),
    Column("data", JsonDocument, nullable=True),
    Column("confidence", Float, nullable=False),
    Column("untrusted", Boolean, nullable=False, server_default=false()),
    # pending (sent, not yet acknowledged) | synced | dropped
    Column("status", String(16), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("synced_at", UtcDateTime(), nullable=True),
)

# What each agent read when it last ran on a task: an agent whose inputs are unchanged is not run again.
agent_inputs = Table(
    "agent_inputs",
    metadata,
    Column("task_id", Id(), primary_key=True),
    Column("agent_id", String(100), primary_key=True),
    Column("input_key", String(32), nullable=False),
    Column("job_id", Id(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

# Working memory of the planning agents, one per project (the legacy LocalBrain).
agent_memory = Table(
    "agent_memory",
    metadata,
    Column("project_id", Id(), primary_key=True),
    Column("objective", Text, nullable=False, server_default=""),
    Column("memory", JsonDocument, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

messaging = add_messaging_tables(metadata)

"""The messaging tables every service database carries: outbox, inbox, cursors, dead letters, leases."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    false,
    text,
)

from kanban.db.types import UtcDateTime

SEQ = BigInteger().with_variant(Integer(), "sqlite")


@dataclass(frozen=True)
class MessagingTables:
    outbox: Table
    inbox: Table
    cursors: Table
    dead_letters: Table
    leases: Table


def add_messaging_tables(metadata: MetaData) -> MessagingTables:
    outbox = Table(
        "outbox",
        metadata,
        Column("seq", SEQ, primary_key=True, autoincrement=True),
        Column("event_id", String(36), nullable=False, unique=True),
        Column("event_type", String(100), nullable=False),
        Column("destination", String(20), nullable=False),
        Column("aggregate_id", String(64), nullable=False),
        Column("envelope", Text, nullable=False),
        Column("created_at", UtcDateTime(), nullable=False),
        Column("sent_at", UtcDateTime(), nullable=True),
        Index(
            "ix_outbox_pending",
            "seq",
            postgresql_where=text("sent_at IS NULL"),
            sqlite_where=text("sent_at IS NULL"),
        ),
        Index("ix_outbox_sent_at", "sent_at"),
    )
    # One row per (consumer, event): inserted when the event is received (the dedupe key),
    # then moved from pending to processed in the same transaction as the handler's effects.
    inbox = Table(
        "inbox",
        metadata,
        Column("consumer", String(50), primary_key=True),
        Column("event_id", String(36), primary_key=True),
        Column("event_type", String(100), nullable=False),
        Column("aggregate_id", String(64), nullable=False),
        Column("aggregate_version", Integer, nullable=True),
        Column("envelope", Text, nullable=False),
        Column("status", String(16), nullable=False),
        Column("attempts", Integer, nullable=False, server_default="0"),
        Column("last_error", Text, nullable=True),
        Column("received_at", UtcDateTime(), nullable=False),
        Column("next_attempt_at", UtcDateTime(), nullable=False),
        Column("processed_at", UtcDateTime(), nullable=True),
        Index("ix_inbox_ready", "consumer", "status", "next_attempt_at"),
        Index("ix_inbox_aggregate", "consumer", "aggregate_id", "aggregate_version"),
    )
    cursors = Table(
        "aggregate_cursors",
        metadata,
        Column("consumer", String(50), primary_key=True),
        Column("aggregate_id", String(64), primary_key=True),
        Column("version", Integer, nullable=False),
        Column("deleted", Boolean, nullable=False, server_default=false()),
        Column("updated_at", UtcDateTime(), nullable=False),
    )
    dead_letters = Table(
        "dead_letters",
        metadata,
        Column("consumer", String(50), primary_key=True),
        Column("event_id", String(36), primary_key=True),
        Column("event_type", String(100), nullable=False),
        Column("aggregate_id", String(64), nullable=False),
        Column("envelope", Text, nullable=False),
        Column("error", Text, nullable=False),
        Column("attempts", Integer, nullable=False),
        Column("dead_at", UtcDateTime(), nullable=False),
    )
    leases = Table(
        "leases",
        metadata,
        Column("name", String(50), primary_key=True),
        Column("owner", String(100), nullable=False),
        Column("expires_at", UtcDateTime(), nullable=False),
    )
    return MessagingTables(outbox, inbox, cursors, dead_letters, leases)

"""Writing events into a service's outbox, inside the transaction of the change they announce."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Insert, Table

from kanban.contracts.envelope import Envelope
from kanban.contracts.registry import event_class
from kanban.db.async_core import AsyncConnection
from kanban.db.types import utcnow
from kanban.messaging.sql import unnested_insert, unnested_params
from kanban.messaging.tables import MessagingTables


def notify_channel(source: str) -> str:
    """The PostgreSQL NOTIFY channel that wakes the relay of `source`'s outbox."""
    return f"kanban_outbox_{source}"


def inbox_channel(consumer: str) -> str:
    """The PostgreSQL NOTIFY channel that wakes `consumer`'s inbox processor, whichever replica received."""
    return f"kanban_inbox_{consumer}"


def outbox_rows(envelopes: Sequence[Envelope]) -> list[dict[str, Any]]:
    """The outbox rows announcing `envelopes`, in their order (the relay publishes by `seq`)."""
    now = utcnow()
    return [
        outbox_row(env.key, env.type, event_class(env.type, env.version).DESTINATION, env.aggregate_id,
                   env.model_dump_json(), now)
        for env in envelopes
    ]  # fmt: skip


def outbox_row(
    event_id: str, event_type: str, destination: str, aggregate_id: str, envelope_json: str, created_at: datetime
) -> dict[str, Any]:
    """One outbox row: the envelope's JSON, with the columns the relay routes and dedupes by."""
    return {
        "event_id": event_id,
        "event_type": event_type,
        "destination": destination,
        "aggregate_id": aggregate_id,
        "envelope": envelope_json,
        "created_at": created_at,
    }


_OUTBOX_COLUMNS = ("event_id", "event_type", "destination", "aggregate_id", "envelope", "created_at")


def unnested_outbox(tables: MessagingTables, envelopes: Sequence[Envelope]) -> tuple[Insert, dict[str, Any]]:
    """PostgreSQL: one INSERT of the outbox rows announcing `envelopes`, in their order, and its values."""
    return _unnested_outbox_insert(tables.outbox), unnested_params(_OUTBOX_COLUMNS, "outbox", outbox_rows(envelopes))


@lru_cache(maxsize=16)
def _outbox_insert(outbox: Table) -> Insert:
    return outbox.insert()


@lru_cache(maxsize=16)
def _unnested_outbox_insert(outbox: Table) -> Insert:
    return unnested_insert(outbox, _OUTBOX_COLUMNS, "outbox")  # type: ignore[no-any-return]


async def add_to_outbox(conn: AsyncConnection, tables: MessagingTables, envelopes: Sequence[Envelope]) -> None:
    """SQLite: the outbox rows announcing `envelopes`, one executemany. (PostgreSQL writes them with
    their NOTIFY in one statement, `unnested_outbox`; SQLite has no NOTIFY to send.)"""
    if envelopes:
        await conn.execute(_outbox_insert(tables.outbox), outbox_rows(envelopes))

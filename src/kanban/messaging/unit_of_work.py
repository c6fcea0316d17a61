"""One transaction of a service: its changes and the events that announce them commit together.

Only the unit of work commits. Handlers record events on it; at commit they go to the outbox in
the same transaction, and the relay is woken.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from types import TracebackType
from typing import TYPE_CHECKING, Any

from sqlalchemy import CTE, ColumnElement, Select, Table, Update, bindparam, func, literal_column, select, update

from kanban.contracts.base import Event
from kanban.contracts.envelope import Envelope
from kanban.contracts.registry import envelope_for
from kanban.db.async_core import AsyncConnection, AsyncEngine
from kanban.db.engine import sqlite_write_lock
from kanban.messaging.correlation import current_causality
from kanban.messaging.outbox import add_to_outbox, inbox_channel, notify_channel, unnested_outbox
from kanban.messaging.sql import unnested_insert, unnested_params
from kanban.messaging.tables import MessagingTables

if TYPE_CHECKING:
    from kanban.messaging.inbox import LocalDelivery


def _inbox_wake(consumer: str) -> ColumnElement[Any]:
    """The NOTIFY that wakes `consumer`'s inbox processors, delivered at commit."""
    return func.pg_notify(inbox_channel(consumer), literal_column("''"))


# PostgreSQL's events statements by shape (see `UnitOfWork._statement`); a handful per process.
_EVENT_STATEMENTS: dict[tuple[Any, ...], Select[Any]] = {}


class UnitOfWork:
    def __init__(
        self,
        engine: AsyncEngine,
        tables: MessagingTables,
        source: str,
        on_commit: Callable[[], None] | None = None,
        local_delivery: LocalDelivery | None = None,
    ) -> None:
        self._engine = engine
        self._local = local_delivery
        self._tables = tables
        self._source = source
        self._on_commit = on_commit
        self._pending: list[Envelope] = []
        self._after_commit: list[Callable[[], None]] = []
        self._appended: list[tuple[Table, dict[str, Any]]] = []
        self._updates: list[_RowUpdate] = []
        self._conn: AsyncConnection | None = None
        self._write_lock: asyncio.Lock | None = None
        self.committed: list[Envelope] = []

    @property
    def conn(self) -> AsyncConnection:
        if self._conn is None:
            raise RuntimeError("unit of work used outside 'async with'")
        return self._conn

    async def __aenter__(self) -> UnitOfWork:
        self._write_lock = sqlite_write_lock(self._engine)
        if self._write_lock is not None:
            await self._write_lock.acquire()
        try:
            self._conn = await self._engine.connect()
            await self._conn.begin()
        except BaseException:
            self._release_write_lock()
            raise
        self._pending = []
        self._appended = []
        self._updates = []
        return self

    def _release_write_lock(self) -> None:
        if self._write_lock is not None and self._write_lock.locked():
            self._write_lock.release()
        self._write_lock = None

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        conn, self._conn = self._conn, None
        self._after_commit = []
        self._appended = []
        self._updates = []
        if conn is None:
            self._release_write_lock()
            return
        try:
            if conn.in_transaction():
                await conn.rollback()
        finally:
            await conn.close()
            self._release_write_lock()

    def record(self, event: Event, *, aggregate_id: str, aggregate_version: int | None = None) -> Envelope:
        """Queue an event for the outbox of this transaction; returns its envelope."""
        causality = current_causality()
        envelope = envelope_for(
            event,
            source=self._source,
            aggregate_id=aggregate_id,
            aggregate_version=aggregate_version if event.ORDERED else None,
            correlation_id=causality.correlation_id,
            causation_id=causality.causation_id,
        )
        self._pending.append(envelope)
        return envelope

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run `callback` once, right after the next commit succeeds (a rollback forgets it).

        For in-process side effects that must never announce uncommitted data, such as a realtime push.
        """
        self._after_commit.append(callback)

    def append_at_commit(self, table: Table, rows: Sequence[dict[str, Any]]) -> None:
        """Rows of an append-only log, written at commit with the events instead of one statement now.

        For a log that nothing reads back in the transaction that writes it (a task's history): on
        PostgreSQL its INSERT rides in the events statement, one round trip fewer per change. Every
        row of one table must have the same keys. A rollback, or `rewind`, forgets them with the events.
        """
        self._appended.extend((table, row) for row in rows)

    def update_at_commit(self, table: Table, key: str, key_value: Any, values: dict[str, Any]) -> None:
        """Give the row of `table` whose `key` is `key_value` these `values`, at commit, before the
        appended rows and the events (on PostgreSQL in the events statement: one round trip fewer).

        Only for a row the transaction has locked and does not read again: until the commit the row
        still holds its old values. At most one per row (PostgreSQL changes a row once per statement).
        A rollback, or `rewind`, forgets the update with the events.
        """
        self._updates.append(_RowUpdate(table, key, key_value, dict(values)))

    def mark(self) -> tuple[int, int, int, int]:
        """Where the queued events, callbacks, appended rows and updates stand, to `rewind` to after a
        savepoint rolls back."""
        return len(self._pending), len(self._after_commit), len(self._appended), len(self._updates)

    def rewind(self, mark: tuple[int, int, int, int]) -> None:
        """Forget what was queued since `mark`: its savepoint was rolled back."""
        del self._pending[mark[0] :]
        del self._after_commit[mark[1] :]
        del self._appended[mark[2] :]
        del self._updates[mark[3] :]

    def recorded_since(self, mark: tuple[int, int, int, int]) -> list[Envelope]:
        """The events queued since `mark` (what one step of a longer transaction recorded)."""
        return list(self._pending[mark[0] :])

    async def commit(self) -> None:
        delivered = await self._write_events()
        await self.conn.commit()
        self._appended, self._updates = [], []
        self.committed, self._pending = self._pending, []
        callbacks, self._after_commit = self._after_commit, []
        if self.committed and self._on_commit is not None:
            self._on_commit()
        if delivered and self._local is not None:
            self._local.wakeup.signal()
        for callback in callbacks:
            callback()

    async def _write_events(self) -> bool:
        """The appended log rows, the outbox rows and own-inbox rows of the queued events; returns
        whether any event went to the inbox.

        On PostgreSQL this is one round trip: the INSERTs as data-modifying CTEs of the SELECT that
        sends their NOTIFYs (delivered at commit, so relays and inbox processors of other processes
        wake without polling). On SQLite, one INSERT per table (no NOTIFY there). An own inbox with
        an admission condition is woken only when an event entered it.
        """
        logs = _grouped(self._appended)
        if self.conn.dialect.name != "postgresql" or not self._pending:
            for n, change in enumerate(self._updates):
                await self.conn.execute(change.statement(n), change.params(n))
            for table, rows in logs.items():
                await self.conn.execute(_log_insert(table), rows)
            if not self._pending:
                return False
            await add_to_outbox(self.conn, self._tables, self._pending)
            return self._local is not None and await self._local.deliver(self.conn, self._pending)
        chosen = self._local.chosen(self._pending) if self._local is not None else []
        outbox, params = unnested_outbox(self._tables, self._pending)
        written_shape = (
            tuple((table.name, tuple(rows[0])) for table, rows in logs.items()),
            tuple(change.shape for change in self._updates),
        )
        for table, rows in logs.items():
            params |= unnested_params(tuple(rows[0]), table.name, rows)
        for n, change in enumerate(self._updates):
            params |= change.params(n)
        updates = list(self._updates)

        def with_writes(statement: Select[Any]) -> Select[Any]:
            changes = (change.statement(n).cte(f"updated_{n}") for n, change in enumerate(updates))
            appended = (_unnested_log(table, tuple(rows[0])) for table, rows in logs.items())
            return statement.add_cte(*changes, *appended)

        if not chosen or self._local is None:
            await self.conn.execute(
                self._statement(
                    ("outbox", written_shape),
                    lambda: with_writes(select(self._wake()).add_cte(outbox.cte("new_outbox"))),
                ),
                params,
            )
            return False
        consumer = self._local.consumer
        if self._local.admits is None:
            inbox, inbox_params = self._local.unnested(chosen)
            statement = self._statement(
                ("inbox", consumer, written_shape),
                lambda: with_writes(
                    select(self._wake(), _inbox_wake(consumer)).add_cte(
                        outbox.cte("new_outbox"), inbox.cte("new_inbox")
                    )
                ),
            )
            await self.conn.execute(statement, params | inbox_params)
            return True
        # Only the admitted events enter: wake the inbox's processors only if one did.
        admitted, admitted_params = self._local.admitted("postgresql", chosen)

        def build() -> Select[Any]:
            new_inbox = admitted.returning(self._tables.inbox.c.event_id).cte("new_inbox")
            entered = select(func.count()).select_from(new_inbox).scalar_subquery()
            woken = select(_inbox_wake(consumer)).select_from(new_inbox).limit(1).scalar_subquery()
            return with_writes(select(self._wake(), woken, entered).add_cte(outbox.cte("new_outbox"), new_inbox))

        statement = self._statement(("admitted", consumer, self._local.admits, len(chosen), written_shape), build)
        result = await self.conn.execute(statement, params | admitted_params)
        return bool(result.one()[-1])

    def _wake(self) -> ColumnElement[Any]:
        """The NOTIFY that wakes this source's relays, delivered at commit."""
        return func.pg_notify(notify_channel(self._source), literal_column("''"))

    def _statement(self, shape: tuple[Any, ...], build: Callable[[], Select[Any]]) -> Select[Any]:
        """The events statement of `shape`, built once per process: building one costs more CPU than
        SQLAlchemy's cached compile of it."""
        key = (self._tables, self._source, *shape)
        statement = _EVENT_STATEMENTS.get(key)
        if statement is None:
            statement = _EVENT_STATEMENTS[key] = build()
        return statement

    async def rollback(self) -> None:
        self._pending = []
        self._after_commit = []
        self._appended = []
        self._updates = []
        await self.conn.rollback()


def _grouped(appended: Sequence[tuple[Table, dict[str, Any]]]) -> dict[Table, list[dict[str, Any]]]:
    """The appended rows by table, each table's in the order they were appended."""
    logs: dict[Table, list[dict[str, Any]]] = {}
    for table, row in appended:
        logs.setdefault(table, []).append(row)
    return logs


@lru_cache(maxsize=16)
def _log_insert(table: Table) -> Any:
    return table.insert()


@lru_cache(maxsize=16)
def _unnested_log(table: Table, columns: tuple[str, ...]) -> CTE:
    return unnested_insert(table, columns, table.name).cte(f"new_{table.name}")  # type: ignore[no-any-return]


@dataclass(frozen=True)
class _RowUpdate:
    """One `update_at_commit`: its statement is built once per table, key and columns, its
    parameters named by its place among the unit's updates (so several share a statement)."""

    table: Table
    key: str
    key_value: Any
    values: dict[str, Any]

    @property
    def shape(self) -> tuple[str, str, tuple[str, ...]]:
        return self.table.name, self.key, tuple(self.values)

    def statement(self, n: int) -> Update:
        return _update_statement(self.table, self.key, tuple(self.values), n)

    def params(self, n: int) -> dict[str, Any]:
        return {f"u{n}_{name}": value for name, value in self.values.items()} | {f"u{n}_key": self.key_value}


@lru_cache(maxsize=64)
def _update_statement(table: Table, key: str, columns: tuple[str, ...], n: int) -> Update:
    return (
        update(table)
        .where(table.c[key] == bindparam(f"u{n}_key"))
        .values({name: bindparam(f"u{n}_{name}", type_=table.c[name].type) for name in columns})
    )

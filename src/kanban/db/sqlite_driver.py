"""SQLAlchemy's aiosqlite dialect with one hop to the database thread per statement (ADR 0029), or
none at all for the statements that cannot wait (ADR 0044).

aiosqlite runs each call on its connection's thread, and SQLAlchemy's adapter makes four calls per
statement (open a cursor, execute, fetch, close), each a queue put, a thread switch and a wake-up of
the event loop. Here a statement is one call: the thread opens a cursor, executes, fetches every row
and closes it, and hands back rows, description, rowcount and lastrowid together. Server-side
cursors (streamed results) keep aiosqlite's own cursor.

A connection opened with `run_on_loop` runs the statements of write transactions and single reads
on the event loop's own thread instead: they are short, and on a WAL database only taking the write
lock can wait. Such a statement runs with SQLite's busy timeout off; if the lock is held elsewhere
it fails at once with SQLITE_BUSY, having done nothing, and is sent to the thread, which waits as
every statement once did. Read-only transactions (a board, analytics, an export: possibly long
scans), bulk `executemany` and the COMMIT of a write (which may checkpoint the WAL to disk) keep
their hop, so the loop goes on serving other requests meanwhile.

This leans on two private names of aiosqlite (`Connection._execute`, `Connection._conn`) and on
SQLAlchemy's adapter classes; uv.lock pins both, and tests/unit/test_sqlite_driver.py checks the
contract (rows, rowcount, lastrowid, errors, executemany) so an upgrade that breaks it fails there.
"""

from __future__ import annotations

import collections
import sqlite3
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
    SQLiteDialect_aiosqlite,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

DRIVER_NAME = "kanban_aiosqlite"
# The connect argument asking for statements on the event loop's thread (taken out before aiosqlite sees it).
RUN_ON_LOOP = "kanban_run_on_loop"
# SQLITE_BUSY, the primary code of every "the lock is held elsewhere" (busy, recovery, snapshot, timeout).
_SQLITE_BUSY = 5


def _run_statement(raw: sqlite3.Connection, operation: Any, parameters: Any) -> tuple[Any, list[Any], int, int | None]:
    """One statement with all its rows: description, rows, rowcount and lastrowid, the cursor closed."""
    cursor = raw.cursor()
    try:
        cursor.execute(operation, () if parameters is None else parameters)
        rows = cursor.fetchall() if cursor.description else []
        return cursor.description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    """A buffered cursor whose every statement is one call on the connection's thread."""

    __slots__ = ("_description", "_rowcount", "_lastrowid", "_arraysize")

    def __init__(self, adapt_connection: Any) -> None:  # no aiosqlite cursor: nothing to open
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None
        self._arraysize = 1

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> Any:
        return self._lastrowid

    @property
    def arraysize(self) -> int:
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._arraysize = value

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        connection = cast(OneHopConnection, self._adapt_connection)
        if connection.on_loop and not connection._execute_mutex.locked():
            try:
                # Awaited though it never suspends: SQLAlchemy's async engine requires every statement
                # to pass through an await (a greenlet switch costs far less than the hop).
                return await_(self._execute_on_loop(connection, operation, parameters))
            except sqlite3.OperationalError as error:
                if error.sqlite_errorcode & 0xFF != _SQLITE_BUSY:
                    connection._handle_exception(error)
                # Any kind of SQLITE_BUSY (plain, recovery, snapshot): the statement did nothing. On the
                # thread, SQLite's busy handler waits for the lock and retries it, as for every
                # statement before this driver ran any on the loop.
            except Exception as error:
                connection._handle_exception(error)
        return super().execute(operation, parameters)

    async def _execute_on_loop(self, connection: OneHopConnection, operation: Any, parameters: Any) -> None:
        raw = self._connection._conn
        connection.wait_for_locks(raw, False)
        begin = connection.take_begin()
        if begin is not None:
            try:
                raw.execute(begin)
            except sqlite3.OperationalError:
                connection.defer_begin(begin)  # nothing was opened: the hop sends it again
                raise
        self._description, rows, self._rowcount, self._lastrowid = _run_statement(raw, operation, parameters)
        self._rows = collections.deque(rows)

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        async with self._adapt_connection._execute_mutex:
            raw = self._connection._conn  # the sqlite3 connection, used only on its own thread
            connection = cast(OneHopConnection, self._adapt_connection)
            begin = connection.take_begin()

            def run() -> tuple[Any, list[Any], int, int | None]:
                connection.wait_for_locks(raw, True)
                if begin is not None:
                    raw.execute(begin)
                return _run_statement(raw, operation, parameters)

            self._description, rows, self._rowcount, self._lastrowid = await self._connection._execute(run)
            self._rows = collections.deque(rows)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Sequence[Any]) -> Any:
        async with self._adapt_connection._execute_mutex:
            raw = self._connection._conn
            connection = cast(OneHopConnection, self._adapt_connection)
            begin = connection.take_begin()

            def run() -> tuple[int, int | None]:
                connection.wait_for_locks(raw, True)
                if begin is not None:
                    raw.execute(begin)
                cursor = raw.cursor()
                try:
                    cursor.executemany(operation, seq_of_parameters)
                    return cursor.rowcount, cursor.lastrowid
                finally:
                    cursor.close()

            self._description, self._rows = None, collections.deque()
            self._rowcount, self._lastrowid = await self._connection._execute(run)

    async def _async_soft_close(self) -> None:
        return None  # the thread closed the real cursor already; the rows stay buffered here

    def close(self) -> None:
        self._rows.clear()


class OneHopConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ("_begin", "_may_run_on_loop", "on_loop", "_waits", "_busy_timeout_ms")
    _cursor_cls = OneHopCursor

    def __init__(self, dbapi: Any, connection: Any, run_on_loop: bool = False) -> None:
        super().__init__(dbapi, connection)
        self._begin: str | None = None
        self._may_run_on_loop = run_on_loop
        self.on_loop = False  # whether this transaction's statements run on the event loop's thread
        self._waits = True  # whether SQLite's busy timeout is in force on the file (it is, from connect)
        self._busy_timeout_ms: int | None = None

    def start_transaction(self, begin: str | None, *, long_reads: bool = False) -> None:
        """Open the next transaction with `begin` (None: its one statement is its own), sent in the
        hop of the transaction's first statement. Its statements run on the event loop's thread
        when the connection allows it and the transaction is not one of reads that may be long."""
        self._begin = begin
        self.on_loop = self._may_run_on_loop and not long_reads

    def defer_begin(self, statement: str) -> None:
        self._begin = statement

    def take_begin(self) -> str | None:
        begin, self._begin = self._begin, None
        return begin

    def wait_for_locks(self, raw: sqlite3.Connection, wait: bool) -> None:
        """Switch SQLite's busy timeout on (the thread's statements) or off (the loop's), when it changes.

        Called only where the connection's statements run: on its thread, or on the loop while no
        hop of this connection is under way.
        """
        if wait == self._waits:
            return
        if self._busy_timeout_ms is None:
            self._busy_timeout_ms = int(raw.execute("PRAGMA busy_timeout").fetchone()[0])
        raw.execute(f"PRAGMA busy_timeout={self._busy_timeout_ms if wait else 0}")
        self._waits = wait

    def cursor(self, server_side: bool = False) -> Any:
        if server_side:  # aiosqlite's own cursor: the BEGIN goes first, in a hop of its own
            begin = self.take_begin()
            if begin is not None or not self._waits:
                raw = self._connection._conn

                def prepare() -> None:
                    self.wait_for_locks(raw, True)
                    if begin is not None:
                        raw.execute(begin)

                try:
                    await_(self._connection._execute(prepare))
                except Exception as error:
                    self._handle_exception(error)
        return super().cursor(server_side)

    def rollback(self) -> None:
        on_loop, self.on_loop = self.on_loop, False
        if self.take_begin() is not None or not self._in_transaction():
            return
        if on_loop and not self._execute_mutex.locked():  # a rollback never waits for a lock
            try:
                self._connection._conn.rollback()
            except Exception as error:
                self._handle_exception(error)
            return
        super().rollback()

    def commit(self) -> None:
        # A write's COMMIT keeps its hop: it may checkpoint the WAL into the file, and fsync both.
        self.on_loop = False
        if self.take_begin() is None and self._in_transaction():
            super().commit()

    def _in_transaction(self) -> bool:
        # Read from the event loop's thread: the flag is SQLite's autocommit state, and no statement
        # of this connection runs while SQLAlchemy commits or rolls it back.
        raw = self._connection._connection
        return raw is not None and raw.in_transaction


class OneHopDbapi(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> OneHopConnection:
        run_on_loop = bool(kw.pop(RUN_ON_LOOP, False))
        adapted = super().connect(*arg, **kw)
        return OneHopConnection(self, adapted._connection, run_on_loop)


class OneHopSqliteDialect(SQLiteDialect_aiosqlite):
    supports_statement_cache = True

    @classmethod
    def import_dbapi(cls) -> OneHopDbapi:  # type: ignore[override]
        return OneHopDbapi(__import__("aiosqlite"), __import__("sqlite3"))

"""SQLAlchemy's aiosqlite dialect with one hop to the database thread per statement (ADR 0029).

aiosqlite runs each call on its connection's thread, and SQLAlchemy's adapter makes four calls per
statement (open a cursor, execute, fetch, close), each a queue put, a thread switch and a wake-up of
the event loop. Here a statement is one call: the thread opens a cursor, executes, fetches every row
and closes it, and hands back rows, description, rowcount and lastrowid together. Server-side
cursors (streamed results) keep aiosqlite's own cursor.

This leans on two private names of aiosqlite (`Connection._execute`, `Connection._conn`) and on
SQLAlchemy's adapter classes; uv.lock pins both, and tests/unit/test_sqlite_driver.py checks the
contract (rows, rowcount, lastrowid, errors, executemany) so an upgrade that breaks it fails there.
"""

from __future__ import annotations

import collections
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

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        async with self._adapt_connection._execute_mutex:
            raw = self._connection._conn  # the sqlite3 connection, used only on its own thread
            begin = cast(OneHopConnection, self._adapt_connection).take_begin()

            def run() -> tuple[Any, list[Any], int, int | None]:
                if begin is not None:
                    raw.execute(begin)
                cursor = raw.cursor()
                try:
                    cursor.execute(operation, () if parameters is None else parameters)
                    rows = cursor.fetchall() if cursor.description else []
                    return cursor.description, rows, cursor.rowcount, cursor.lastrowid
                finally:
                    cursor.close()

            self._description, rows, self._rowcount, self._lastrowid = await self._connection._execute(run)
            self._rows = collections.deque(rows)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Sequence[Any]) -> Any:
        async with self._adapt_connection._execute_mutex:
            raw = self._connection._conn
            begin = cast(OneHopConnection, self._adapt_connection).take_begin()

            def run() -> tuple[int, int | None]:
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
    __slots__ = ("_begin",)
    _cursor_cls = OneHopCursor

    def __init__(self, dbapi: Any, connection: Any) -> None:
        super().__init__(dbapi, connection)
        self._begin: str | None = None

    def defer_begin(self, statement: str) -> None:
        """Open the next transaction with `statement`, sent in the hop of the transaction's first statement."""
        self._begin = statement

    def take_begin(self) -> str | None:
        begin, self._begin = self._begin, None
        return begin

    def cursor(self, server_side: bool = False) -> Any:
        if server_side:  # aiosqlite's own cursor: the BEGIN goes first, in a hop of its own
            begin = self.take_begin()
            if begin is not None:
                try:
                    await_(self._connection._execute(self._connection._conn.execute, begin))
                except Exception as error:
                    self._handle_exception(error)
        return super().cursor(server_side)

    def rollback(self) -> None:
        if self.take_begin() is None and self._in_transaction():
            super().rollback()

    def commit(self) -> None:
        if self.take_begin() is None and self._in_transaction():
            super().commit()

    def _in_transaction(self) -> bool:
        # Read from the event loop's thread: the flag is SQLite's autocommit state, and no statement
        # of this connection runs while SQLAlchemy commits or rolls it back.
        raw = self._connection._connection
        return raw is not None and raw.in_transaction


class OneHopDbapi(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> OneHopConnection:
        adapted = super().connect(*arg, **kw)
        return OneHopConnection(self, adapted._connection)


class OneHopSqliteDialect(SQLiteDialect_aiosqlite):
    supports_statement_cache = True

    @classmethod
    def import_dbapi(cls) -> OneHopDbapi:  # type: ignore[override]
        return OneHopDbapi(__import__("aiosqlite"), __import__("sqlite3"))

"""The board view's SQLite times, rewritten as text, are byte for byte what orjson writes of the datetime."""

from __future__ import annotations

from datetime import datetime

import orjson
import pytest
from sqlalchemy.dialects import sqlite

from kanban.api.boards.view import _sqlite_time, _sqlite_wire_time, encode


@pytest.mark.parametrize(
    "stored",
    [
        "2026-12-02 11:33:04.123456",
        "2026-12-02 11:33:04.000000",  # a zero fraction: orjson writes none
        "2026-12-02 11:33:04.000001",
        "1999-01-31 23:59:59.500000",
        "2026-12-02 11:33:04",  # other shapes are parsed, then written by orjson
        "2026-12-02T11:33:04+02:00",
        "2026-12-02 11:33:04.12",
    ],
)
def test_a_stored_time_goes_out_as_the_datetime_would(stored: str) -> None:
    parsed = _sqlite_time(stored)
    assert parsed is not None and parsed.tzinfo is not None
    assert encode({"t": _sqlite_wire_time(stored)}) == orjson.dumps({"t": parsed}, option=orjson.OPT_UTC_Z)


def test_a_missing_time_stays_missing() -> None:
    assert _sqlite_wire_time(None) is None


def test_what_sqlite_stores_for_the_column_type_takes_the_fast_path() -> None:
    """SQLAlchemy's SQLite DATETIME writes six fraction digits, zero or not: the shape the slicing expects."""
    dialect = sqlite.dialect()
    store = sqlite.DATETIME().bind_processor(dialect)
    assert store is not None
    for moment, wire in (
        (datetime(2026, 3, 4, 5, 6, 7, 890), "2026-03-04T05:06:07.000890Z"),
        (datetime(2026, 3, 4, 5, 6, 7), "2026-03-04T05:06:07Z"),
    ):
        stored = store(moment)
        assert len(stored) == 26
        assert _sqlite_wire_time(stored) == wire

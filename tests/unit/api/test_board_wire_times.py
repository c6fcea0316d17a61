"""The board view's SQLite times, rewritten as text, are byte for byte what orjson writes of the datetime."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest

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


def test_a_datetime_written_by_the_column_type_reads_back_through_the_fast_path() -> None:
    written = datetime(2026, 3, 4, 5, 6, 7, 890, tzinfo=UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
    assert _sqlite_wire_time(written) == "2026-03-04T05:06:07.000890Z"

"""The quick-add parser's cost per phrase: every phrase of the parser's test table, parsed many times."""

from __future__ import annotations

import time
from datetime import datetime
from zoneinfo import ZoneInfo

from tests.unit.api.capture.test_parser import CASES

from kanban.api.capture.parser import parse

ROUNDS = 200


def main() -> None:
    phrases = [
        (text, ZoneInfo(zone), datetime.fromisoformat(now).replace(tzinfo=ZoneInfo(zone)))
        for text, zone, now, _ in CASES
    ]
    started = time.perf_counter()
    for _ in range(ROUNDS):
        for text, tz, now in phrases:
            parse(text, now=now, tz=tz)
    elapsed = time.perf_counter() - started
    count = ROUNDS * len(phrases)
    print(f"{count} parses in {elapsed:.2f} s: {elapsed / count * 1e6:.1f} µs per phrase ({count / elapsed:,.0f}/s)")


if __name__ == "__main__":
    main()

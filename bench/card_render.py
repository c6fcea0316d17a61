"""Server-side rendering of a column of 1,000 cards (`_cards.html`, as a board page renders them).

    .venv/bin/python -m bench.card_render
    PYTHONPATH=/path/to/other/checkout/src:/path/to/other/checkout .venv/bin/python -m bench.card_render

Every card carries every chip (tags, context, priority, duration, due date, checklist), so the
figure is the template's cost per card, not the data's. It reports this process's CPU time per
1,000 cards, the median of thirty renders after two to warm up.
"""

from __future__ import annotations

import statistics
import time
import types
from datetime import UTC, datetime

from bench.support import machine
from kanban.ui.render import environment

CARDS = 1000
ROUNDS = 30


def _card(n: int) -> types.SimpleNamespace:
    return types.SimpleNamespace(
        id=f"task-{n}", is_done=False, stale=False, version=1, column_id="column", position=n, title=f"Pay rent {n}",
        tags=[types.SimpleNamespace(name="home", color="red")], context="PHONE", priority="HIGH", duration_minutes=30,
        waiting_for=None, due_at=datetime(2026, 12, 15, tzinfo=UTC), checklist=types.SimpleNamespace(total=2, done=1),
    )  # fmt: skip


def main() -> None:
    template = environment.get_template("_cards.html")
    context = {"cards": [_card(n) for n in range(CARDS)], "hint_counts": {}, "ages": {}, "found_in": None}
    for _ in range(2):
        template.render(**context)
    spent = []
    for _ in range(ROUNDS):
        started = time.process_time()
        template.render(**context)
        spent.append((time.process_time() - started) * 1000)
    print(f"| render {CARDS:,} cards (`_cards.html`) | {statistics.median(spent):.1f} ms CPU | {machine()} |")


if __name__ == "__main__":
    main()

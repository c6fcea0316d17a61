"""The web UI's flow chart module shapes API answers into uPlot series (run under node when present)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

MODULE = Path(__file__).parents[3] / "src/kanban/api/analytics/static/flow-charts.js"

CYCLE = {
    "cycleTime": {"n": 10, "enough": True, "p50": 3, "p70": 5, "p85": 6, "p95": 8},
    "items": [
        {"taskId": "b", "title": "B", "startDate": "2026-10-20", "finishDate": "2026-10-27", "cycleTimeDays": 8},
        {"taskId": "a", "title": None, "startDate": "2026-10-21", "finishDate": "2026-10-23", "cycleTimeDays": 3},
    ],
}
AGING = {
    "cycleTime": {"n": 3, "enough": False},
    "columns": [{"columnId": "n", "name": "Next"}, {"columnId": "w", "name": "Waiting"}],
    "items": [
        {"taskId": "o", "title": "O", "columnId": "w", "ageDays": 2, "pace": 40},
        {"taskId": "f", "title": "F", "columnId": "n", "ageDays": 10, "pace": 100},
    ],
}


def test_series_follow_the_api_answers() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    script = f"""
        const m = await import({json.dumps(MODULE.as_uri())});
        const s = m.scatterSeries({json.dumps(CYCLE)});
        const a = m.agingSeries({json.dumps(AGING)});
        console.log(JSON.stringify({{ s: [s.labels, s.data.slice(1), s.titles], a: [a.labels, a.data, a.columns],
          day: m.daySeconds("2026-10-25") - m.daySeconds("2026-10-24") }}));
    """
    out = json.loads(subprocess.run([node, "--input-type=module", "-e", script], capture_output=True, text=True,
                                    check=True, timeout=30).stdout)  # fmt: skip
    assert out["s"] == [
        ["Cycle time (days)", "p50", "p70", "p85", "p95"],
        [[3, 8], [3, 3], [5, 5], [6, 6], [8, 8]],
        ["a: 2026-10-21 → 2026-10-23, 3 d", "B: 2026-10-20 → 2026-10-27, 8 d"],
    ]
    assert out["a"] == [["Age (days)"], [[0, 1], [10, 2]], ["Next", "Waiting"]]  # no lines below n=10
    assert out["day"] in (82800, 86400, 90000)  # a calendar day, whatever the machine's zone does

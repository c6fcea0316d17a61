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


def test_mount_draws_four_charts_from_four_requests() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    answers = {
        "cfd": {"days": [{"date": "2026-10-20", "arrived": 1, "committed": 1, "done": 0, "discarded": 0}]},
        "throughput": {"median": 0, "buckets": [{"start": "2026-10-20", "days": 1, "finished": 0}]},
        "cycle-time": CYCLE,
        "aging": AGING,
    }
    script = f"""
        const answers = {json.dumps(answers)};
        const made = [], asked = [];
        globalThis.document = {{ createElement: () => ({{ clientWidth: 500 }}) }};
        class FakePlot {{ constructor(opts, data) {{ made.push([opts.title, data.length, opts.width]); }} }}
        const root = {{ children: [], append(el) {{ this.children.push(el); }} }};
        const m = await import({json.dumps(MODULE.as_uri())});
        await m.mountFlowCharts(root, {{ uPlot: FakePlot, boardId: "b1", from: "2026-10-20",
          fetchJson: async (path) => {{ asked.push(path); return answers[path.split("/analytics/")[1].split("?")[0]]; }} }});
        console.log(JSON.stringify({{ made, asked, slots: root.children.map((c) => c.className) }}));
    """
    out = json.loads(subprocess.run([node, "--input-type=module", "-e", script], capture_output=True, text=True,
                                    check=True, timeout=30).stdout)  # fmt: skip
    assert [m[0] for m in out["made"]] == ["Cumulative flow", "Throughput per day", "Cycle time (n = 10)",
                                           "Aging work in progress"]  # fmt: skip
    assert [m[1] for m in out["made"]] == [5, 3, 6, 2]  # x plus series: percentile lines only with n >= 10
    assert out["asked"][0] == "/api/v1/boards/b1/analytics/cfd?from=2026-10-20"
    assert out["slots"] == ["flow-chart flow-chart-cfd", "flow-chart flow-chart-throughput",
                            "flow-chart flow-chart-cycle-time", "flow-chart flow-chart-aging"]  # fmt: skip

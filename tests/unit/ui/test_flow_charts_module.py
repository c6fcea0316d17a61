"""The web UI's flow chart module shapes API answers into uPlot series (run under node when present)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

MODULE = Path(__file__).parents[3] / "src/kanban/ui/static/js/flow-charts.js"

CYCLE = {
    "from": "2026-10-01",
    "to": "2026-10-31",
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
        const edges = [s.data[0][0] === m.daySeconds("2026-10-01"), s.data[0].at(-1) === m.daySeconds("2026-10-31")];
        console.log(JSON.stringify({{ s: [s.labels, s.data.slice(1), s.ids], edges, a: [a.labels, a.data, a.columns, a.ids],
          day: m.daySeconds("2026-10-25") - m.daySeconds("2026-10-24") }}));
    """
    out = json.loads(subprocess.run([node, "--input-type=module", "-e", script], capture_output=True, text=True,
                                    check=True, timeout=30).stdout)  # fmt: skip
    # The range's first and last day, empty, hold the axis to the range and carry the percentile lines.
    assert out["s"] == [
        ["Cycle time (days)", "p50", "p70", "p85", "p95"],
        [[None, 3, 8, None], [3] * 4, [5] * 4, [6] * 4, [8] * 4],
        ["", "a", "b", ""],
    ]
    assert out["edges"] == [True, True]
    # Two empty edge points carry percentile lines across the columns; there are none below n=10.
    assert out["a"] == [
        ["Age (days)"],
        [[-0.5, 0, 1, 1.5], [None, 10, 2, None]],
        ["Next", "Waiting"],
        ["", "f", "o", ""],
    ]
    assert out["day"] in (82800, 86400, 90000)  # a calendar day, whatever the machine's zone does


def test_mount_draws_four_charts_into_their_slots() -> None:
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
        const made = [];
        globalThis.getComputedStyle = () => ({{ color: "rgb(1, 2, 3)", borderTopColor: "rgb(4, 5, 6)" }});
        class FakePlot {{
          constructor(opts, data, target) {{
            made.push([target.name, data.length, opts.width, opts.series.map((s) => s.label ?? null), opts.axes[0].stroke]);
            this.over = {{ addEventListener() {{}} }};
          }}
        }}
        const slot = (name) => ({{ name, clientWidth: 500 }});
        const slots = Object.fromEntries(["cfd", "throughput", "cycle-time", "aging"].map((n) => [n, slot(n)]));
        const m = await import({json.dumps(MODULE.as_uri())});
        m.mountFlowCharts(slots, {{ uPlot: FakePlot, answers: {json.dumps(answers)}, onPick: () => {{}} }});
        console.log(JSON.stringify(made));
    """
    made = json.loads(subprocess.run([node, "--input-type=module", "-e", script], capture_output=True, text=True,
                                     check=True, timeout=30).stdout)  # fmt: skip
    assert [m[0] for m in made] == ["cfd", "throughput", "cycle-time", "aging"]
    assert [m[1] for m in made] == [5, 3, 6, 2]  # x plus series: percentile lines only with n >= 10
    assert made[0][3] == [None, "Arrived", "Committed", "Done", "Discarded"]  # largest drawn first: stacked
    assert {m[2] for m in made} == {500} and {m[4] for m in made} == {"rgb(1, 2, 3)"}  # axes in the page's colour

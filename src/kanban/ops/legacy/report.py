"""The report of a split: per step rows read and written, the rules applied, invalid rows; JSON and a terminal summary."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kanban.db.files import open_private, write_private_text
from kanban.ops.legacy.findings import RULES, Findings


@dataclass
class StepReport:
    step: str
    source: str
    rows_read: int
    rows_written: int
    findings: Findings
    events: int = 0


@dataclass
class SplitReport:
    layout: str
    run_id: str
    backup: str | None
    dry_run: bool
    steps: list[StepReport] = field(default_factory=list)
    ignored: dict[str, int] = field(default_factory=dict)  # worker copy tables not read: rows
    listing: str | None = None  # the file naming every row a rule changed or dropped, and every row left out
    listed: int = 0

    @property
    def invalid(self) -> list[dict[str, str]]:
        return [{"step": s.step, "id": i, "reason": r} for s in self.steps for i, r in s.findings.invalid]

    @property
    def rules(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for s in self.steps:
            for rule, n in s.findings.counts.items():
                totals[rule] = totals.get(rule, 0) + n
        return totals

    def to_json(self) -> dict[str, Any]:
        return {
            "layout": self.layout,
            "run_id": self.run_id,
            "backup": self.backup,
            "dry_run": self.dry_run,
            "steps": [
                {"step": s.step, "source": s.source, "rows_read": s.rows_read, "rows_written": s.rows_written,
                 "events": s.events, "rules": s.findings.counts, "examples": s.findings.examples,
                 "invalid": [{"id": i, "reason": r} for i, r in s.findings.invalid]}
                for s in self.steps
            ],
            "rules": {rule: {"count": n, "meaning": RULES[rule]} for rule, n in sorted(self.rules.items())},
            "invalid": self.invalid,
            "ignored": self.ignored,
            "listing": {"file": self.listing, "rows": self.listed},
        }  # fmt: skip

    async def write_listing(self, path: Path, listed: Callable[[Callable[[bytes], object]], Awaitable[int]]) -> None:
        """The CSV of every row the rules changed or dropped, then of the rows left out.

        `listed` hands its write function the changed and dropped rows as CSV lines (step, rule, row
        id, meaning) and returns how many; see checkpoint.copy_listing.
        """
        with open_private(path, "wb", encoding=None) as out:
            out.write(csv_lines([["step", "rule", "row_id", "meaning"]]))
            rows = await listed(out.write)
            out.write(csv_lines([[r["step"], "left-out", r["id"], r["reason"]] for r in self.invalid]))
        self.listing, self.listed = str(path), rows + len(self.invalid)

    def write(self, path: Path) -> None:
        write_private_text(path, json.dumps(self.to_json(), indent=2, sort_keys=True) + "\n")

    def summary(self) -> str:
        verb = "would write" if self.dry_run else "written"
        lines = [f"Legacy layout: {self.layout}", "", f"{'step':<26} {'read':>10} {verb:>12} {'events':>8}"]
        for s in self.steps:
            lines.append(f"{s.step:<26} {s.rows_read:>10,} {s.rows_written:>12,} {s.events:>8,}")
        if self.rules:
            lines += ["", "Rules applied:"]
            lines += [f"  {n:>8,}  {rule}: {RULES[rule]}" for rule, n in sorted(self.rules.items())]
        for table, n in self.ignored.items():
            lines.append(
                f"  worker copy {table}: {n:,} rows not read (the {self.layout} schema of record holds the data)"
            )
        if self.invalid:
            lines += ["", f"Rows left out ({len(self.invalid)}):"]
            lines += [f"  {i['step']} {i['id']}: {i['reason']}" for i in self.invalid[:20]]
            if len(self.invalid) > 20:
                lines.append(f"  … and {len(self.invalid) - 20:,} more, all in the listing below")
        if self.listing:
            lines += ["", f"Every changed, dropped or left-out row ({self.listed:,}): {self.listing}"]
        return "\n".join(lines)


def csv_lines(rows: Iterable[Iterable[object]]) -> bytes:
    """`rows` as UTF-8 CSV lines ending in LF, quoted only where needed: as PostgreSQL's COPY writes CSV."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode()

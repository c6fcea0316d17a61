"""The documented migration rules, and what a run found: how often each rule applied, which rows were invalid."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Every rule the mapping applies, by code. docs/adr/0007-legacy-migration-rules.md gives the reasons.
RULES: dict[str, str] = {
    "user-without-password": "user has no password hash: kept, the user must reset the password to sign in",
    "user-timezone-defaulted": "user timezone was null: set to UTC",
    "board-config-defaulted": "board config was null or not an object: the defaults are used",
    "board-config-value-replaced": "a board config value had the wrong type or range: its default is used",
    "board-config-key-dropped": "a board config key is no setting of this version: dropped",
    "column-position-renumbered": "column positions on the board were not 0..n-1: renumbered in their order",
    "wip-limit-zero": "column WIP limit was 0 (or negative): the column has no limit",
    "column-over-wip-limit": "column holds more tasks than its WIP limit: the limit and every task are kept",
    "project-status-defaulted": "project status was null: set to active",
    "tag-merged-case-duplicate": "tag name differs only by case from an older tag on the board: merged into it",
    "task-done-by-column": "task in a DONE column had isDone=false: marked done",
    "task-completed-at-filled": "done task had no completedAt: set to lastMovedAt",
    "task-reopened-by-column": "task outside DONE had isDone=true: not done, completedAt moved to metadata.legacyCompletedAt",
    "task-completed-at-cleared": "task outside DONE had a completedAt: moved to metadata.legacyCompletedAt",
    "task-position-renumbered": "task positions in the column were not 0..n-1: renumbered in their order",
    "checklist-position-renumbered": "checklist positions of the task were not 0..n-1: renumbered in their order",
    "task-duration-unreadable": "task duration text is not a duration: kept in metadata.legacyDuration, minutes null",
    "task-stale-dropped": "task had stale=true: dropped, staleness is recomputed from the board's staleAfterDays",
    "task-tag-repointed": "task tag pointed at a merged tag: points at the surviving tag",
    "task-tag-duplicate-dropped": "task had two tags merged into one: one task tag kept",
    "hint-applied-ambiguous": "hint had applied=true (applied or dismissed, indistinguishable): status dismissed",
    "hint-confidence-clamped": "hint confidence outside 0..1: clamped",
    "brain-null-fields-omitted": "LocalBrain had null JSON fields: left out of agent memory",
    "brain-from-worker-copy": "LocalBrain found only in the worker schema copy: migrated",
    "worker-copy-orphan-ignored": "worker schema copy row points at a project that does not exist: ignored",
    "project-without-brain": "project has no LocalBrain: no agent memory, the Worker starts one when it plans",
}


class InvalidRow(Exception):
    """This row cannot be migrated; the message says why."""


@dataclass
class Findings:
    """What one step found. Saved with each batch checkpoint, so a resumed run reports the same.

    Counts and a few examples per rule travel with the checkpoint; every row a rule changed or
    dropped is in `batch` until the batch commits, where it joins the run's full listing.
    """

    counts: dict[str, int] = field(default_factory=dict)
    examples: dict[str, list[str]] = field(default_factory=dict)
    invalid: list[list[str]] = field(default_factory=list)
    batch: list[list[str]] = field(default_factory=list)  # [rule, row id] noted since the last copy()

    def note(self, rule: str, row_id: str) -> None:
        assert rule in RULES, rule
        self.counts[rule] = self.counts.get(rule, 0) + 1
        shown = self.examples.setdefault(rule, [])
        if len(shown) < 5:
            shown.append(row_id)
        self.batch.append([rule, row_id])

    def unnote(self, rule: str, row_id: str) -> None:
        """Take back a note a later row showed to be wrong (see TaskTagMapper)."""
        self.counts[rule] -= 1
        if not self.counts[rule]:
            del self.counts[rule]
        if row_id in self.examples.get(rule, []):
            self.examples[rule].remove(row_id)
            if not self.examples[rule]:
                del self.examples[rule]
        if [rule, row_id] in self.batch:
            self.batch.remove([rule, row_id])

    def reject(self, row_id: str, reason: str) -> None:
        self.invalid.append([row_id, reason])

    def copy(self) -> Findings:
        """The findings so far, to carry on with for the next batch (whose listing starts empty)."""
        return Findings(
            dict(self.counts), {k: list(v) for k, v in self.examples.items()}, [list(i) for i in self.invalid]
        )

    def to_json(self) -> dict[str, Any]:
        return {"counts": self.counts, "examples": self.examples, "invalid": self.invalid}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Findings:
        data = data or {}
        return cls(dict(data.get("counts", {})), dict(data.get("examples", {})), list(data.get("invalid", [])))

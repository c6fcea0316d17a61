"""The pure rules of tasks on a GTD board: WIP limits, the done flag, staleness, clarify targets, context lanes.

No I/O here; handlers read the rows and ask these functions what follows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, cast

from kanban.api.errors import WipLimitReached
from kanban.contracts.events import TaskContext

ColumnType = Literal["INPUT", "CLARIFY", "CONTEXT", "WAITING", "SOMEDAY", "DONE", "ARCHIVE"]
COLUMN_TYPES: tuple[str, ...] = ("INPUT", "CLARIFY", "CONTEXT", "WAITING", "SOMEDAY", "DONE", "ARCHIVE")
CONTEXTS: tuple[str, ...] = ("EMAIL", "MEETING", "PHONE", "READ", "WATCH", "DESK", "OTHER")

# Columns whose tasks are parked or finished on purpose: never stale.
RESTING_TYPES = frozenset({"DONE", "ARCHIVE", "SOMEDAY"})

DEFAULT_STALE_AFTER_DAYS = 7
# "days": stale after staleAfterDays; "p85": after the board's own p85 cycle time (ADR 0022),
# staleAfterDays standing in while fewer than 10 tasks finished in the last 90 days.
StaleBasis = Literal["days", "p85"]
DEFAULT_AUTO_APPLY_THRESHOLD = 0.9

# Where each clarify decision sends a task; "trash" deletes it, "context" prefers a context lane.
Decision = Literal["trash", "someday", "archive", "done", "waiting", "context", "next"]
DECISION_TARGET: dict[str, str | None] = {
    "trash": None,
    "someday": "SOMEDAY",
    "archive": "ARCHIVE",
    "done": "DONE",
    "waiting": "WAITING",
    "context": "CONTEXT",
    "next": "CONTEXT",
}

# The columns every new board starts with. "Next actions" is a CONTEXT column that matches no
# context; context lanes ("@Email", "Phone", ...) are CONTEXT columns the owner adds.
SEED_COLUMNS: tuple[tuple[str, str], ...] = (
    ("Inbox", "INPUT"),
    ("Next actions", "CONTEXT"),
    ("Waiting for", "WAITING"),
    ("Someday/Maybe", "SOMEDAY"),
    ("Done", "DONE"),
    ("Archive", "ARCHIVE"),
)


@dataclass(frozen=True)
class BoardSettings:
    stale_after_days: int = DEFAULT_STALE_AFTER_DAYS
    auto_apply_hints: bool = False
    auto_apply_threshold: float = DEFAULT_AUTO_APPLY_THRESHOLD
    stale_basis: StaleBasis = "days"

    @classmethod
    def from_config(cls, config: dict[str, Any] | None) -> BoardSettings:
        """Read boards.config (snake_case keys), falling back to the defaults."""
        config = config or {}
        return cls(
            stale_after_days=int(config.get("stale_after_days", DEFAULT_STALE_AFTER_DAYS)),
            auto_apply_hints=bool(config.get("auto_apply_hints", False)),
            auto_apply_threshold=float(config.get("auto_apply_threshold", DEFAULT_AUTO_APPLY_THRESHOLD)),
            stale_basis="p85" if config.get("stale_basis") == "p85" else "days",
        )

    def to_config(self) -> dict[str, Any]:
        return {
            "stale_after_days": self.stale_after_days,
            "auto_apply_hints": self.auto_apply_hints,
            "auto_apply_threshold": self.auto_apply_threshold,
            "stale_basis": self.stale_basis,
        }


def wip_override_needed(limit: int | None, occupied: int) -> bool:
    """True when one more task would exceed the limit: a limit of N holds exactly N tasks."""
    return limit is not None and occupied >= limit


def check_wip(column_name: str, limit: int | None, occupied: int, override: bool) -> bool:
    """Raise WipLimitReached unless the column has room or the caller overrides; returns whether an override was used."""
    if not wip_override_needed(limit, occupied):
        return False
    if not override:
        raise WipLimitReached(
            f"column '{column_name}' holds {occupied} of {limit} tasks; pass wipOverride to exceed it",
            wipLimit=limit,
            count=occupied,
        )
    return True


def done_transition(from_type: str | None, to_type: str) -> Literal["completed", "reopened"] | None:
    """Entering a DONE column completes a task; leaving one reopens it."""
    was_done, is_done = from_type == "DONE", to_type == "DONE"
    if is_done and not was_done:
        return "completed"
    if was_done and not is_done:
        return "reopened"
    return None


def stale_cutoff(now: datetime, stale_after_days: int) -> datetime:
    return now - timedelta(days=stale_after_days)


def is_stale(last_moved_at: datetime, column_type: str, stale_after_days: int, now: datetime) -> bool:
    """Not moved for `stale_after_days` and not resting: computed at read time, never stored."""
    return column_type not in RESTING_TYPES and last_moved_at <= stale_cutoff(now, stale_after_days)


def lane_context(column_name: str) -> TaskContext | None:
    """The context a CONTEXT column is a lane for: its name, without a leading '@', case-insensitively."""
    key = column_name.strip().lstrip("@").strip().upper()
    return cast(TaskContext, key) if key in CONTEXTS else None


# Tasks are ordered in a column by a sparse rank (`tasks.position`, a float): a move writes only the
# moved task, with a rank between its new neighbours'. The API's `position` is the dense index.
RANK_STEP = 1024.0


def rank_between(before: float | None, after: float | None) -> float | None:
    """A rank strictly between two neighbours (None: no neighbour on that side), or None when the
    floats between them are used up and the column needs renumbering first."""
    if before is None and after is None:
        return RANK_STEP
    if before is None:
        return float(after) - RANK_STEP  # type: ignore[arg-type]
    if after is None:
        return float(before) + RANK_STEP
    middle = (before + after) / 2
    return middle if before < middle < after else None


def clamp_position(position: int | None, last: int) -> int:
    """Where a task lands: the requested place within 0..last, or the end (`last`) when none was asked."""
    return last if position is None else max(0, min(position, last))

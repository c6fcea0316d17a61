"""What a user's digest says today, in their time zone: the Inbox, due and overdue, follow-ups, stale work, hints,
and what the user's rules asked to be told.

Pure: rows and `now` in, a Digest out; rendering to text and HTML is separate (pages.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from kanban.api.tasks.rules import BoardSettings, is_stale


@dataclass(frozen=True)
class DigestItem:
    task_id: str
    title: str
    due_at: datetime | None = None
    done_url: str | None = None
    snooze_url: str | None = None


@dataclass(frozen=True)
class RuleNotice:
    """An item a rule's `notify` action put in the digest."""

    id: str
    rule_name: str
    task_title: str | None
    message: str | None


@dataclass
class Digest:
    day: str
    inbox_count: int = 0
    inbox_oldest: DigestItem | None = None
    inbox_oldest_days: int = 0
    due: list[DigestItem] = field(default_factory=list)  # due today or overdue
    follow_ups: list[DigestItem] = field(default_factory=list)  # waiting for someone, follow-up due
    stale: list[DigestItem] = field(default_factory=list)
    hints_waiting: int = 0
    from_rules: list[RuleNotice] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (
            self.inbox_count or self.due or self.follow_ups or self.stale or self.hints_waiting or self.from_rules
        )

    def actionable(self) -> list[DigestItem]:
        return self.due + self.follow_ups


def build_digest(rows: list[Any], hints_waiting: int, now: datetime, zone: ZoneInfo) -> Digest:
    local = now.astimezone(zone)
    end_of_today = (local.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)).astimezone(now.tzinfo)
    digest = Digest(day=local.date().isoformat(), hints_waiting=hints_waiting)
    inbox = [r for r in rows if r.column_type == "INPUT"]
    digest.inbox_count = len(inbox)
    if inbox:
        oldest = min(inbox, key=lambda r: r.created_at)
        digest.inbox_oldest = DigestItem(oldest.id, oldest.title)
        digest.inbox_oldest_days = (now - oldest.created_at).days
    for row in rows:
        item = DigestItem(row.id, row.title, row.due_at)
        due = row.due_at is not None and row.due_at < end_of_today
        if due and (row.column_type == "WAITING" or row.waiting_for):
            digest.follow_ups.append(item)
        elif due:
            digest.due.append(item)
        elif is_stale(row.last_moved_at, row.column_type, BoardSettings.from_config(row.board_config).stale_after_days,
                      now):  # fmt: skip
            digest.stale.append(item)
    digest.due.sort(key=lambda i: i.due_at or now)
    digest.follow_ups.sort(key=lambda i: i.due_at or now)
    return digest

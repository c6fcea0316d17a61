"""The flow metrics over calendar days in the owner's time zone: pure functions of replayed flows.

Days are inclusive (a task started and finished on the same day took 1 day); percentiles are by
nearest rank on the sorted integer days and are withheld below `MIN_SAMPLE` finished tasks.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from kanban.api.analytics.flow import TaskFlow

PERCENTILES: tuple[int, ...] = (50, 70, 85, 95)
MIN_SAMPLE = 10


def local_day(at: datetime, tz: ZoneInfo) -> date:
    return at.astimezone(tz).date()


def days_inclusive(first: date, last: date) -> int:
    return (last - first).days + 1


def day_range(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def nearest_rank(ordered: Sequence[float], p: float) -> float:
    """P_p = x[ceil(p/100 * n)] (1-based) on ascending values; p=0 gives the smallest."""
    if not ordered:
        raise ValueError("no values")
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class Percentiles:
    n: int
    values: dict[int, int] | None  # None: fewer than MIN_SAMPLE values, so no lines are drawn

    @classmethod
    def of(cls, days: Iterable[int], minimum: int = MIN_SAMPLE) -> Percentiles:
        ordered = sorted(days)
        if len(ordered) < minimum:
            return cls(len(ordered), None)
        return cls(len(ordered), {p: int(nearest_rank(ordered, p)) for p in PERCENTILES})

    def band(self, age: int) -> str | None:
        """Where an age falls against the lines: 'under-p50', 'p50-p70', ..., 'over-p95'."""
        if self.values is None:
            return None
        below = [p for p in PERCENTILES if age > self.values[p]]
        if not below:
            return "under-p50"
        top = below[-1]
        nxt = PERCENTILES.index(top) + 1
        return f"over-p{top}" if nxt == len(PERCENTILES) else f"p{top}-p{PERCENTILES[nxt]}"


def pace(age: int, ordered_days: Sequence[int]) -> int | None:
    """The percentile of `age` among finished cycle times: the share of them no longer than it."""
    if len(ordered_days) < MIN_SAMPLE:
        return None
    return round(100 * bisect_right(ordered_days, age) / len(ordered_days))


# --- cumulative flow ------------------------------------------------------------------------


@dataclass(frozen=True)
class CfdDay:
    date: date
    arrived: int
    committed: int
    done: int
    discarded: int
    trashed: int


def cumulative_flow(flows: Iterable[TaskFlow], tz: ZoneInfo, first: date, last: date) -> list[CfdDay]:
    """Per day, how many tasks had reached each stage (or a later one) by the day's end.

    Each task steps up once per stage (arrival, its commitment, its current finish), so no line
    ever goes down; discarded (deleted after start) and trashed (deleted unstarted) stand apart.
    """
    stages: dict[str, Counter[date]] = {s: Counter() for s in ("arrived", "committed", "done", "discarded", "trashed")}
    for f in flows:
        stages["arrived"][local_day(f.arrived, tz)] += 1
        if f.commitment is not None:
            stages["committed"][local_day(f.commitment, tz)] += 1
        if f.finished is not None:
            stages["done"][local_day(f.finished, tz)] += 1
        if f.discarded is not None:
            stages["discarded"][local_day(f.discarded, tz)] += 1
        if f.trashed is not None:
            stages["trashed"][local_day(f.trashed, tz)] += 1
    running = {s: sum(n for d, n in c.items() if d < first) for s, c in stages.items()}
    out = []
    for day in day_range(first, last):
        for s, c in stages.items():
            running[s] += c.get(day, 0)
        out.append(CfdDay(day, **running))
    return out


# --- throughput -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ThroughputBucket:
    start: date  # the day, or the Monday of the ISO week
    days: int  # days of the bucket inside the range (a week cut by the range has fewer than 7)
    finished: int


def finish_days(flows: Iterable[TaskFlow], tz: ZoneInfo) -> Counter[date]:
    return Counter(local_day(f.finished, tz) for f in flows if f.finished is not None)


def throughput(
    flows: Iterable[TaskFlow], tz: ZoneInfo, first: date, last: date, interval: str
) -> list[ThroughputBucket]:
    """Tasks finished per day (or ISO week) of the range; days without finishes are kept as 0."""
    per_day = finish_days(flows, tz)
    if interval == "day":
        return [ThroughputBucket(d, 1, per_day.get(d, 0)) for d in day_range(first, last)]
    weeks: dict[date, list[int]] = {}
    for d in day_range(first, last):
        bucket = weeks.setdefault(d - timedelta(days=d.weekday()), [0, 0])
        bucket[0] += 1
        bucket[1] += per_day.get(d, 0)
    return [ThroughputBucket(start, days, n) for start, (days, n) in weeks.items()]


def median(values: Sequence[int]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    return float(ordered[mid]) if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


# --- cycle time and lead time ----------------------------------------------------------------


@dataclass(frozen=True)
class FinishedTask:
    task_id: str
    started: date
    finished: date
    arrived: date
    cycle_days: int
    lead_days: int
    reentered: bool


def finished_in(flows: Iterable[TaskFlow], tz: ZoneInfo, first: date, last: date) -> list[FinishedTask]:
    """Tasks whose finish falls in the range, by finish time; deleted-unfinished work never finishes."""
    out = []
    for f in sorted((f for f in flows if f.finished is not None), key=lambda f: (f.finished, f.task_id)):
        assert f.finished is not None and f.commitment is not None
        end = local_day(f.finished, tz)
        if not first <= end <= last:
            continue
        start, arrived = local_day(f.commitment, tz), local_day(f.arrived, tz)
        out.append(
            FinishedTask(
                f.task_id, start, end, arrived, days_inclusive(start, end), days_inclusive(arrived, end), f.reentered
            )
        )
    return out


# --- aging work in progress -------------------------------------------------------------------


@dataclass(frozen=True)
class AgingTask:
    task_id: str
    column_id: str | None
    column_type: str | None
    started: date
    age_days: int
    pace: int | None
    band: str | None
    reentered: bool


def aging(
    flows: Iterable[TaskFlow], tz: ZoneInfo, today: date, cycle: Percentiles, cycle_days: Sequence[int]
) -> list[AgingTask]:
    """Each task in progress with its age (today − start + 1, over the whole item, not the column)."""
    ordered = sorted(cycle_days)
    out = []
    for f in flows:
        if not f.in_progress:
            continue
        assert f.started is not None and f.current is not None
        start = local_day(f.started, tz)
        age = days_inclusive(start, today)
        out.append(
            AgingTask(f.task_id, f.current.column_id, f.current.column_type, start, age, pace(age, ordered),
                      cycle.band(age), f.reentered)
        )  # fmt: skip
    return sorted(out, key=lambda a: (-a.age_days, a.task_id))


# --- time in column and the waiting share ------------------------------------------------------


@dataclass(frozen=True)
class ColumnTime:
    key: str | None  # a column id, or a column type
    tasks: int
    total_hours: float
    median_hours: float | None
    p85_hours: float | None


@dataclass(frozen=True)
class TaskTime:
    task_id: str
    cycle_hours: float
    waiting_hours: float
    waiting_share: float | None  # None when start and finish are the same instant
    hours_by_column: dict[str | None, float]


def _hours(seconds: float) -> float:
    return round(seconds / 3600, 3)


def task_times(flows: Mapping[str, TaskFlow], finished: Iterable[FinishedTask]) -> list[TaskTime]:
    """For each finished task: hours per column from arrival to finish, and the waiting share, the
    time in WAITING between commitment and finish over that elapsed time (real hours, so a DST
    day counts 23 or 25)."""
    out = []
    for item in finished:
        f = flows[item.task_id]
        assert f.finished is not None and f.commitment is not None
        start, end = f.commitment, f.finished
        by_column: dict[str | None, float] = defaultdict(float)
        waiting = 0.0
        for s in f.stays:
            left = s.left or end
            if s.entered >= end:
                break
            left = min(left, end)
            by_column[s.column_id] += (left - s.entered).total_seconds()
            if s.column_type == "WAITING":
                waiting += max(0.0, (left - max(s.entered, start)).total_seconds())
        cycle = (end - start).total_seconds()
        out.append(
            TaskTime(item.task_id, _hours(cycle), _hours(waiting), round(waiting / cycle, 4) if cycle > 0 else None,
                     {k: _hours(v) for k, v in by_column.items()})
        )  # fmt: skip
    return out


def column_times(flows: Mapping[str, TaskFlow], finished: Iterable[FinishedTask], by_type: bool) -> list[ColumnTime]:
    """Hours the finished tasks spent in each column (or column type, as it was at the time)."""
    spent: dict[str | None, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for item in finished:
        f = flows[item.task_id]
        assert f.finished is not None
        for s in f.stays:
            if s.entered >= f.finished:
                break
            left = min(s.left or f.finished, f.finished)
            spent[s.column_type if by_type else s.column_id][f.task_id] += (left - s.entered).total_seconds()
    out = []
    for key, per_task in spent.items():
        hours = sorted(v / 3600 for v in per_task.values())
        out.append(
            ColumnTime(key, len(hours), round(sum(hours), 3), round(nearest_rank(hours, 50), 3),
                       round(nearest_rank(hours, 85), 3))
        )  # fmt: skip
    return out

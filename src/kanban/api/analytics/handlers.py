"""Analytics queries: read the board's history once, replay it, and shape one metric's answer.

Read-only: each query takes a connection and commits nothing. Everything is recomputed on read
from task_events (ADR 0022), nothing stored; the replay is kept per process while the board's
placements stay the same (`kept.py`).
"""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal, TypeVar
from zoneinfo import ZoneInfo

from kanban.api.analytics import forecast, kept, metrics
from kanban.api.analytics import repository as repo
from kanban.api.analytics.flow import COMMITTED_TYPES, FINISHED_TYPES, TaskFlow, replay
from kanban.api.analytics.period import MAX_HOW_MANY_DAYS, Period, owner_zone, resolve, today_in
from kanban.api.analytics.schemas import (
    AgingOut,
    AgingTaskOut,
    CfdDayOut,
    CfdOut,
    ColumnRefOut,
    ColumnTimeOut,
    CycleTimeOut,
    FinishedTaskOut,
    ForecastHowManyOut,
    ForecastSampleOut,
    ForecastWhenOut,
    HowManyResultOut,
    OverrideDayOut,
    OverrideOut,
    PercentilesOut,
    TaskTimeOut,
    ThroughputBucketOut,
    ThroughputOut,
    TimeInColumnOut,
    WaitingShareOut,
    WhenResultOut,
    WipOverridesOut,
)
from kanban.api.errors import InvalidInput
from kanban.db.async_core import AsyncConnection
from kanban.db.types import utcnow


@dataclass(frozen=True)
class RangeQuery:
    user_id: str
    board_id: str
    first: date | None = None
    last: date | None = None


@dataclass(frozen=True)
class History:
    """The board as it stood at the end of the range: its columns, live tasks and replayed flows."""

    period: Period
    columns: dict[str, repo.ColumnInfo]
    tasks: dict[str, repo.TaskInfo]
    flows: dict[str, TaskFlow]

    @property
    def tz(self) -> ZoneInfo:
        return self.period.tz

    def title(self, task_id: str) -> str | None:
        task = self.tasks.get(task_id)
        return task.title if task is not None else None

    def range_fields(self) -> dict[str, object]:
        return {"from": self.period.first, "to": self.period.last, "time_zone": self.tz.key}


async def load_history(
    conn: AsyncConnection,
    user_id: str,
    board_id: str,
    first: date | None,
    last: date | None,
    now: datetime | None = None,
) -> History:
    board = await repo.owned_board_info(conn, board_id, user_id)
    period = resolve(first, last, owner_zone(board.timezone), now or utcnow())
    return await history_for(conn, board.id, period)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Building a history allocates tens of thousands of small acyclic objects; the cyclic
    collector would rescan the growing heap many times over (measured: 2-4x the build's CPU).
    Reference counting still frees them; collection resumes right after. Paused around a whole
    answer (`shaped`), the history is freed before the collector resumes, so it never scans it:
    resumed while the history is alive, its first pass took as long as the metric itself."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


T = TypeVar("T")


async def shaped(
    conn: AsyncConnection, user_id: str, board_id: str, first: date | None, last: date | None,
    shape: Callable[[History], T],
) -> T:  # fmt: skip
    """One answer from the board's history over the range, the history dropped before collection resumes."""
    with collector_paused():
        return shape(await load_history(conn, user_id, board_id, first, last))


async def history_for(conn: AsyncConnection, board_id: str, period: Period) -> History:
    until = period.end_utc()
    with collector_paused():
        cols = {c.id: c for c in await repo.board_columns(conn, board_id)}
        types = {c.id: c.type for c in cols.values()}
        tasks = await repo.live_tasks(conn, board_id, types)
        flows = dict(await kept.replayed(conn, board_id, until, types))  # a copy: the kept one is shared
        unplaced = [t for t in tasks if t not in flows]
        if unplaced:
            flows.update(replay([], await repo.task_seeds(conn, unplaced, types, until)))
    return History(period, cols, tasks, flows)


def percentiles_out(p: metrics.Percentiles) -> PercentilesOut:
    values = p.values or {}
    return PercentilesOut(
        n=p.n, enough=p.values is not None, p50=values.get(50), p70=values.get(70), p85=values.get(85),
        p95=values.get(95),
    )  # fmt: skip


# --- range metrics --------------------------------------------------------------------------------


def cfd(h: History) -> CfdOut:
    days = metrics.cumulative_flow(h.flows.values(), h.tz, h.period.first, h.period.last)
    return CfdOut.model_validate({**h.range_fields(), "days": [CfdDayOut.model_validate(vars(d)) for d in days]})


def throughput(h: History, interval: Literal["day", "week"]) -> ThroughputOut:
    buckets = metrics.throughput(h.flows.values(), h.tz, h.period.first, h.period.last, interval)
    return ThroughputOut.model_validate(
        {
            **h.range_fields(),
            "interval": interval,
            "total": sum(b.finished for b in buckets),
            "median": metrics.median([b.finished for b in buckets]),
            "buckets": [ThroughputBucketOut.model_validate(vars(b)) for b in buckets],
        }
    )


def _finished(h: History) -> list[metrics.FinishedTask]:
    return metrics.finished_in(h.flows.values(), h.tz, h.period.first, h.period.last)


def cycle_time(h: History) -> CycleTimeOut:
    finished = _finished(h)
    items = [
        FinishedTaskOut(
            task_id=f.task_id, title=h.title(f.task_id), arrived_date=f.arrived, start_date=f.started,
            finish_date=f.finished, cycle_time_days=f.cycle_days, lead_time_days=f.lead_days, reentered=f.reentered,
        )
        for f in finished
    ]  # fmt: skip
    return CycleTimeOut.model_validate(
        {
            **h.range_fields(),
            "cycle_time": percentiles_out(metrics.Percentiles.of(f.cycle_days for f in finished)),
            "lead_time": percentiles_out(metrics.Percentiles.of(f.lead_days for f in finished)),
            "items": items,
        }
    )


def aging(h: History) -> AgingOut:
    """Work in progress at the end of the range, against the cycle times finished within it."""
    cycle_days = [f.cycle_days for f in _finished(h)]
    pct = metrics.Percentiles.of(cycle_days)
    items = []
    for a in metrics.aging(h.flows.values(), h.tz, h.period.last, pct, cycle_days):
        column = h.columns.get(a.column_id) if a.column_id else None
        items.append(
            AgingTaskOut(
                task_id=a.task_id, title=h.title(a.task_id), column_id=a.column_id,
                column_name=column.name if column else None, column_type=a.column_type, start_date=a.started,
                age_days=a.age_days, pace=a.pace, band=a.band, reentered=a.reentered,
            )
        )  # fmt: skip
    committed = [
        ColumnRefOut(column_id=c.id, name=c.name, type=c.type) for c in h.columns.values() if c.type in COMMITTED_TYPES
    ]
    return AgingOut.model_validate(
        {**h.range_fields(), "as_of": h.period.last, "cycle_time": percentiles_out(pct), "columns": committed,
         "items": items}
    )  # fmt: skip


def _column_time_out(t: metrics.ColumnTime, h: History, by_type: bool) -> ColumnTimeOut:
    column = None if by_type or t.key is None else h.columns.get(t.key)
    return ColumnTimeOut(
        column_id=None if by_type else t.key,
        name=column.name if column else None,
        type=t.key if by_type else (column.type if column else None),
        tasks=t.tasks, total_hours=t.total_hours, median_hours=t.median_hours, p85_hours=t.p85_hours,
    )  # fmt: skip


def time_in_column(h: History) -> TimeInColumnOut:
    finished = _finished(h)
    position = {c.id: c.position for c in h.columns.values()}
    per_column = sorted(
        metrics.column_times(h.flows, finished, by_type=False),
        key=lambda t: (position.get(t.key or "", 1 << 30), t.key or ""),
    )
    order = ("INPUT", "CLARIFY", "CONTEXT", "WAITING", "SOMEDAY", "DONE", "ARCHIVE")
    per_type = sorted(
        metrics.column_times(h.flows, finished, by_type=True),
        key=lambda t: order.index(t.key) if t.key in order else len(order),
    )
    times = metrics.task_times(h.flows, finished)
    shares = sorted(t.waiting_share for t in times if t.waiting_share is not None)
    cycle_total = sum(t.cycle_hours for t in times)
    return TimeInColumnOut.model_validate(
        {
            **h.range_fields(),
            "n": len(finished),
            "columns": [_column_time_out(t, h, False) for t in per_column],
            "by_type": [_column_time_out(t, h, True) for t in per_type],
            "waiting_share": WaitingShareOut(
                n=len(shares),
                overall=round(sum(t.waiting_hours for t in times) / cycle_total, 4) if cycle_total > 0 else None,
                median=round(metrics.nearest_rank(shares, 50), 4) if shares else None,
            ),
            "items": [
                TaskTimeOut(
                    task_id=t.task_id,
                    title=h.title(t.task_id),
                    cycle_hours=t.cycle_hours,
                    waiting_hours=t.waiting_hours,
                    waiting_share=t.waiting_share,
                    hours_by_column={k or "": v for k, v in t.hours_by_column.items()},
                )
                for t in times
            ],  # fmt: skip
        }
    )


async def wip_overrides(conn: AsyncConnection, q: RangeQuery) -> WipOverridesOut:
    board = await repo.owned_board_info(conn, q.board_id, q.user_id)
    period = resolve(q.first, q.last, owner_zone(board.timezone), utcnow())
    cols = {c.id: c for c in await repo.board_columns(conn, board.id)}
    tasks = await repo.live_tasks(conn, board.id, {c.id: c.type for c in cols.values()})
    rows = await repo.override_events(conn, board.id, period.start_utc(), period.end_utc())
    items = []
    for r in rows:
        column = cols.get(r.to_column_id)
        items.append(
            OverrideOut(
                at=r.created_at, date=metrics.local_day(r.created_at, period.tz), task_id=r.task_id,
                title=tasks[r.task_id].title if r.task_id in tasks else None, column_id=r.to_column_id,
                column_name=column.name if column else None,
            )
        )  # fmt: skip
    per_day = Counter(i.date for i in items)
    return WipOverridesOut.model_validate(
        {
            "from": period.first, "to": period.last, "time_zone": period.tz.key, "total": len(items),
            "days": [OverrideDayOut(date=d, overrides=per_day.get(d, 0)) for d in metrics.day_range(period.first, period.last)],
            "items": items,
        }
    )  # fmt: skip


# --- forecasts ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ForecastQuery:
    user_id: str
    board_id: str
    window_days: int
    trials: int
    seed: int | None


@dataclass(frozen=True)
class Sample:
    today: date
    tz: ZoneInfo
    first: date
    last: date
    days: list[int]


async def _sample(conn: AsyncConnection, q: ForecastQuery) -> tuple[Sample, History]:
    """Daily throughput of the last `window_days` days up to yesterday, zero days included."""
    board = await repo.owned_board_info(conn, q.board_id, q.user_id)
    tz = owner_zone(board.timezone)
    today = today_in(tz, utcnow())
    period = Period(today - timedelta(days=q.window_days), today, tz)
    h = await history_for(conn, board.id, period)
    per_day = metrics.finish_days(h.flows.values(), tz)
    first, last = today - timedelta(days=q.window_days), today - timedelta(days=1)
    return Sample(today, tz, first, last, [per_day.get(d, 0) for d in metrics.day_range(first, last)]), h


def _sample_out(s: Sample) -> ForecastSampleOut:
    return ForecastSampleOut.model_validate(
        {"from": s.first, "to": s.last, "window_days": len(s.days), "nonzero_days": sum(1 for n in s.days if n),
         "finished": sum(s.days)}
    )  # fmt: skip


NOT_ENOUGH = "not enough history: fewer than {n} days with a finished task in the sample window"


def _open_count(h: History, project_id: str | None, column_id: str | None) -> int:
    if column_id is not None:
        if column_id not in h.columns:
            raise InvalidInput(f"column {column_id} is not on this board", field="columnId")
        return sum(1 for t in h.tasks.values() if t.column_id == column_id)
    return sum(1 for t in h.tasks.values() if t.project_id == project_id and t.column_type not in FINISHED_TYPES)


async def forecast_when(
    conn: AsyncConnection, q: ForecastQuery, items: int | None, project_id: str | None, column_id: str | None
) -> ForecastWhenOut:
    s, h = await _sample(conn, q)  # the board's ownership first: a stranger learns nothing from a 422
    if sum(x is not None for x in (items, project_id, column_id)) != 1:
        raise InvalidInput("give exactly one of items, projectId or columnId", field="items")
    if project_id is not None:
        await repo.check_project(conn, q.board_id, project_id)
    scope: Literal["items", "project", "column"] = (
        "items" if items is not None else "project" if project_id else "column"
    )
    count = items if items is not None else _open_count(h, project_id, column_id)
    seed = (
        q.seed if q.seed is not None else forecast.seed_for("when", q.board_id, s.today, count, q.window_days, q.trials)
    )
    result = (
        forecast.when(s.days, count, q.trials, seed)
        if count > 0
        else forecast.Forecast(True, 0, dict.fromkeys(metrics.PERCENTILES, 0))
    )
    return ForecastWhenOut(
        time_zone=s.tz.key, today=s.today, scope=scope, scope_id=project_id or column_id, items=count,
        trials=q.trials, seed=seed, sample=_sample_out(s), enough_history=result.enough_history,
        reason=None if result.enough_history else NOT_ENOUGH.format(n=forecast.MIN_NONZERO_DAYS),
        results=[
            WhenResultOut(confidence=p, days=d, date=None if d is None else s.today + timedelta(days=max(d, 1) - 1))
            for p, d in result.results.items()
        ],
    )  # fmt: skip


DEFAULT_HOW_MANY_DAYS = 30


async def forecast_how_many(conn: AsyncConnection, q: ForecastQuery, until: date | None) -> ForecastHowManyOut:
    s, _ = await _sample(conn, q)
    until = until or s.today + timedelta(days=DEFAULT_HOW_MANY_DAYS - 1)
    if until < s.today:
        raise InvalidInput(f"date {until} is before today ({s.today})", field="date")
    days = (until - s.today).days + 1
    if days > MAX_HOW_MANY_DAYS:
        raise InvalidInput(
            f"date is {days} days ahead; at most {MAX_HOW_MANY_DAYS} days are allowed", field="date",
            limit=MAX_HOW_MANY_DAYS,
        )  # fmt: skip
    seed = (
        q.seed
        if q.seed is not None
        else forecast.seed_for("how-many", q.board_id, s.today, until, q.window_days, q.trials)
    )
    result = forecast.how_many(s.days, days, q.trials, seed)
    return ForecastHowManyOut(
        time_zone=s.tz.key, today=s.today, date=until, days=days, trials=q.trials, seed=seed, sample=_sample_out(s),
        enough_history=result.enough_history,
        reason=None if result.enough_history else NOT_ENOUGH.format(n=forecast.MIN_NONZERO_DAYS),
        results=[HowManyResultOut(confidence=p, items=n or 0) for p, n in result.results.items()],
    )  # fmt: skip

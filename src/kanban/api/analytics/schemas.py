"""Analytics responses on the wire (camelCase); each also knows its CSV table (`csv_table`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import Field

from kanban.api.schemas import ApiModel

CsvTable = tuple[list[str], list[list[Any]]]


class RangeOut(ApiModel):
    from_: date = Field(alias="from")
    to: date
    time_zone: str


class PercentilesOut(ApiModel):
    """Nearest-rank percentiles in days; null (and `enough` false) below 10 finished tasks."""

    n: int
    enough: bool
    p50: int | None = None
    p70: int | None = None
    p85: int | None = None
    p95: int | None = None


class CfdDayOut(ApiModel):
    date: date
    arrived: int
    committed: int
    done: int
    discarded: int
    trashed: int


class CfdOut(RangeOut):
    stages: list[str] = ["arrived", "committed", "done"]
    days: list[CfdDayOut]

    def csv_table(self) -> CsvTable:
        head = ["date", "arrived", "committed", "done", "discarded", "trashed"]
        return head, [[d.date, d.arrived, d.committed, d.done, d.discarded, d.trashed] for d in self.days]


class ThroughputBucketOut(ApiModel):
    start: date
    days: int
    finished: int


class ThroughputOut(RangeOut):
    interval: Literal["day", "week"]
    total: int
    median: float | None
    buckets: list[ThroughputBucketOut]

    def csv_table(self) -> CsvTable:
        return ["start", "days", "finished"], [[b.start, b.days, b.finished] for b in self.buckets]


class FinishedTaskOut(ApiModel):
    task_id: str
    title: str | None
    arrived_date: date
    start_date: date
    finish_date: date
    cycle_time_days: int
    lead_time_days: int
    reentered: bool


class CycleTimeOut(RangeOut):
    cycle_time: PercentilesOut
    lead_time: PercentilesOut
    items: list[FinishedTaskOut]

    def csv_table(self) -> CsvTable:
        head = ["task_id", "title", "arrived_date", "start_date", "finish_date", "cycle_time_days",
                "lead_time_days", "reentered"]  # fmt: skip
        return head, [
            [i.task_id, i.title, i.arrived_date, i.start_date, i.finish_date, i.cycle_time_days, i.lead_time_days,
             i.reentered]
            for i in self.items
        ]  # fmt: skip


class ColumnRefOut(ApiModel):
    column_id: str
    name: str
    type: str


class AgingTaskOut(ApiModel):
    task_id: str
    title: str | None
    column_id: str | None
    column_name: str | None
    column_type: str | None
    start_date: date
    age_days: int
    pace: int | None = Field(description="the share (%) of finished tasks whose cycle time was no longer")
    band: str | None = Field(description="under-p50, p50-p70, p70-p85, p85-p95 or over-p95; null below n=10")
    reentered: bool


class AgingOut(RangeOut):
    as_of: date
    cycle_time: PercentilesOut
    columns: list[ColumnRefOut]
    items: list[AgingTaskOut]

    def csv_table(self) -> CsvTable:
        head = ["task_id", "title", "column_id", "column_name", "column_type", "start_date", "age_days", "pace",
                "band", "reentered"]  # fmt: skip
        return head, [
            [i.task_id, i.title, i.column_id, i.column_name, i.column_type, i.start_date, i.age_days, i.pace, i.band,
             i.reentered]
            for i in self.items
        ]  # fmt: skip


class ColumnTimeOut(ApiModel):
    column_id: str | None
    name: str | None
    type: str | None
    tasks: int
    total_hours: float
    median_hours: float | None
    p85_hours: float | None


class WaitingShareOut(ApiModel):
    n: int
    overall: float | None = Field(description="total hours in Waiting for over total cycle hours")
    median: float | None


class TaskTimeOut(ApiModel):
    task_id: str
    title: str | None
    cycle_hours: float
    waiting_hours: float
    waiting_share: float | None
    hours_by_column: dict[str, float] = Field(
        description="hours from capture to finish per column id ('' for a column gone from the board's log)"
    )


class TimeInColumnOut(RangeOut):
    n: int
    columns: list[ColumnTimeOut]
    by_type: list[ColumnTimeOut]
    waiting_share: WaitingShareOut
    items: list[TaskTimeOut]

    def csv_table(self) -> CsvTable:
        head = ["column_id", "name", "type", "tasks", "total_hours", "median_hours", "p85_hours"]
        return head, [
            [c.column_id, c.name, c.type, c.tasks, c.total_hours, c.median_hours, c.p85_hours] for c in self.columns
        ]


class OverrideDayOut(ApiModel):
    date: date
    overrides: int


class OverrideOut(ApiModel):
    at: datetime
    date: date
    task_id: str
    title: str | None
    column_id: str
    column_name: str | None


class WipOverridesOut(RangeOut):
    total: int
    days: list[OverrideDayOut]
    items: list[OverrideOut]

    def csv_table(self) -> CsvTable:
        head = ["at", "date", "task_id", "title", "column_id", "column_name"]
        return head, [[i.at, i.date, i.task_id, i.title, i.column_id, i.column_name] for i in self.items]


class ForecastSampleOut(ApiModel):
    from_: date = Field(alias="from")
    to: date
    window_days: int
    nonzero_days: int
    finished: int


class WhenResultOut(ApiModel):
    confidence: int
    days: int | None = Field(description="days from today, today being day 1; null beyond five years")
    date: date | None


class ForecastWhenOut(ApiModel):
    time_zone: str
    today: date
    scope: Literal["items", "project", "column"]
    scope_id: str | None
    items: int
    trials: int
    seed: int
    sample: ForecastSampleOut
    enough_history: bool
    reason: str | None
    results: list[WhenResultOut]

    def csv_table(self) -> CsvTable:
        return ["confidence", "days", "date"], [[r.confidence, r.days, r.date] for r in self.results]


class HowManyResultOut(ApiModel):
    confidence: int
    items: int


class ForecastHowManyOut(ApiModel):
    time_zone: str
    today: date
    date: date
    days: int
    trials: int
    seed: int
    sample: ForecastSampleOut
    enough_history: bool
    reason: str | None
    results: list[HowManyResultOut]

    def csv_table(self) -> CsvTable:
        return ["confidence", "items"], [[r.confidence, r.items] for r in self.results]


class CardAgeOut(ApiModel):
    task_id: str
    age_days: int = Field(description="calendar days since commitment, today included")
    band: str | None = Field(description="as in aging: under-p50 ... over-p95; null below n=10")


class BoardAgingOut(ApiModel):
    """The aging of the board's cards in committed columns, against the last 90 days' cycle times."""

    as_of: date
    cycle_time: PercentilesOut
    items: list[CardAgeOut]

"""The metric math of flow analytics, as pure functions: flows, percentiles, CFD, throughput, periods, forecasts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from kanban.api.analytics import forecast, metrics
from kanban.api.analytics.flow import FlowEvent, TaskFlow, TaskSeed, replay
from kanban.api.analytics.period import MAX_RANGE_DAYS, Period, resolve
from kanban.api.errors import InvalidInput

UTC_ZONE = ZoneInfo("UTC")
T0 = datetime(2026, 3, 1, 9, tzinfo=UTC)


def day(n: int, hour: int = 0) -> datetime:
    return T0 + timedelta(days=n, hours=hour)


def flow_of(*steps: tuple[int, str | None, str | None], kind: str = "moved") -> TaskFlow:
    """One task: (day, column id, column type) placements; a None column type with id 'x' deletes."""
    events = []
    for n, column, ctype in steps:
        if column == "trash":
            events.append(FlowEvent("t", "deleted", day(n)))
        else:
            events.append(FlowEvent("t", "created" if not events else kind, day(n), to_column_id=column, to_type=ctype))
    return replay(events)["t"]


def test_commitment_is_the_first_arrival_in_a_context_or_waiting_column() -> None:
    f = flow_of((0, "in", "INPUT"), (1, "some", "SOMEDAY"), (3, "wait", "WAITING"), (5, "next", "CONTEXT"))
    assert (f.started, f.finished, f.reentered, f.in_progress) == (day(3), None, False, True)


def test_a_reopened_task_finishes_at_its_last_arrival_in_done() -> None:
    f = flow_of((0, "in", "INPUT"), (1, "n", "CONTEXT"), (2, "d", "DONE"), (4, "n", "CONTEXT"), (6, "d", "DONE"))
    assert (f.started, f.finished) == (day(1), day(6))
    reopened = flow_of((0, "in", "INPUT"), (1, "n", "CONTEXT"), (2, "d", "DONE"), (4, "n", "CONTEXT"))
    assert reopened.finished is None and reopened.in_progress


def test_archive_finishes_only_straight_from_work_and_keeps_a_done_finish() -> None:
    from_work = flow_of((0, "in", "INPUT"), (1, "n", "CONTEXT"), (2, "a", "ARCHIVE"))
    assert from_work.finished == day(2)
    after_done = flow_of((0, "n", "CONTEXT"), (2, "d", "DONE"), (5, "a", "ARCHIVE"))
    assert after_done.finished == day(2)
    parked = flow_of((0, "in", "INPUT"), (1, "n", "CONTEXT"), (2, "s", "SOMEDAY"), (3, "a", "ARCHIVE"))
    assert parked.finished is None and not parked.in_progress


def test_moved_back_to_the_inbox_is_not_wip_and_keeps_its_first_start() -> None:
    back = flow_of((0, "in", "INPUT"), (1, "n", "CONTEXT"), (2, "in", "INPUT"))
    assert back.started == day(1) and not back.in_progress
    again = flow_of((0, "in", "INPUT"), (1, "n", "CONTEXT"), (2, "in", "INPUT"), (4, "n", "CONTEXT"))
    assert again.started == day(1) and again.reentered


def test_deletion_after_start_is_discarded_before_start_trashed_after_finish_kept() -> None:
    assert flow_of((0, "in", "INPUT"), (1, "n", "CONTEXT"), (2, "trash", None)).discarded == day(2)
    trashed = flow_of((0, "in", "INPUT"), (1, "trash", None))
    assert (trashed.trashed, trashed.discarded) == (day(1), None)
    housekeeping = flow_of((0, "n", "CONTEXT"), (1, "d", "DONE"), (9, "trash", None))
    assert (housekeeping.finished, housekeeping.discarded) == (day(1), None)


def test_a_retype_in_place_changes_the_type_and_a_two_minute_action_starts_at_its_finish() -> None:
    events = [
        FlowEvent("t", "created", day(0), to_column_id="c", to_type="SOMEDAY"),
        FlowEvent("t", "updated", day(2), to_type="CONTEXT"),
    ]
    f = replay(events)["t"]
    assert f.started == day(2) and f.current is not None and f.current.column_id == "c"
    quick = flow_of((0, "in", "INPUT"), (0, "d", "DONE"))
    assert (quick.started, quick.commitment) == (None, day(0))


def test_a_task_without_events_falls_back_to_its_row() -> None:
    seed = TaskSeed("s", created_at=day(0), column_id="n", column_type="CONTEXT", last_moved_at=day(3))
    f = replay([], {"s": seed})["s"]
    assert (f.arrived, f.started) == (day(0), day(3))


def test_nearest_rank_percentiles_are_withheld_below_ten() -> None:
    assert metrics.nearest_rank([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 85) == 9
    assert metrics.nearest_rank([4], 95) == 4 and metrics.nearest_rank([1, 5], 0) == 1
    assert metrics.Percentiles.of(range(1, 10)).values is None
    p = metrics.Percentiles.of([1, 2, 2, 2, 3, 5, 5, 5, 6, 8])
    assert (p.n, p.values) == (10, {50: 3, 70: 5, 85: 6, 95: 8})
    assert [p.band(a) for a in (1, 3, 4, 5, 6, 7, 8, 9)] == [
        "under-p50", "under-p50", "p50-p70", "p50-p70", "p70-p85", "p85-p95", "p85-p95", "over-p95",
    ]  # fmt: skip
    assert metrics.pace(2, [1, 2, 2, 2, 3, 5, 5, 5, 6, 8]) == 40 and metrics.pace(2, [1, 2]) is None
    assert metrics.days_inclusive(date(2026, 3, 1), date(2026, 3, 1)) == 1


def test_cfd_counts_what_happened_before_the_range_and_never_goes_down() -> None:
    a = flow_of((0, "in", "INPUT"), (1, "n", "CONTEXT"), (3, "d", "DONE"))
    b = flow_of((2, "in", "INPUT"), (4, "n", "CONTEXT"), (5, "trash", None))
    rows = metrics.cumulative_flow([a, b], UTC_ZONE, date(2026, 3, 2), date(2026, 3, 6))
    assert [(r.arrived, r.committed, r.done, r.discarded) for r in rows] == [
        (1, 1, 0, 0), (2, 1, 0, 0), (2, 1, 1, 0), (2, 2, 1, 0), (2, 2, 1, 1),
    ]  # fmt: skip


def test_weekly_throughput_buckets_start_on_monday_and_count_cut_days() -> None:
    flows = [flow_of((0, "n", "CONTEXT"), (n, "d", "DONE")) for n in (1, 1, 8)]  # 2026-03-02 is a Monday
    weeks = metrics.throughput(flows, UTC_ZONE, date(2026, 3, 1), date(2026, 3, 10), "week")
    assert [(w.start, w.days, w.finished) for w in weeks] == [
        (date(2026, 2, 23), 1, 0), (date(2026, 3, 2), 7, 2), (date(2026, 3, 9), 2, 1),
    ]  # fmt: skip


def test_periods_are_local_days_with_dst_and_bounded() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    spring = Period(date(2026, 3, 29), date(2026, 3, 29), berlin)
    assert spring.end_utc() - spring.start_utc() == timedelta(hours=23)
    assert metrics.local_day(datetime(2026, 3, 28, 23, 30, tzinfo=UTC), berlin) == date(2026, 3, 29)
    now = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)  # already 2 December in Berlin (UTC+1)
    default = resolve(None, None, berlin, now)
    assert (default.first, default.last, default.days) == (date(2026, 9, 4), date(2026, 12, 2), 90)
    with pytest.raises(InvalidInput) as refused:
        resolve(date(2020, 1, 1), date(2026, 1, 1), berlin, now)
    assert refused.value.extra["limit"] == MAX_RANGE_DAYS


def test_forecasts_are_exact_on_steady_throughput_and_repeat_by_seed() -> None:
    steady = [3] * 20
    assert forecast.when(steady, 30, 500, seed=1).results == {50: 10, 70: 10, 85: 10, 95: 10}
    assert forecast.how_many(steady, 7, 500, seed=1).results == {50: 21, 70: 21, 85: 21, 95: 21}
    bumpy = [0, 1, 0, 4, 2, 0, 0, 3, 1, 1, 0, 2, 5, 0, 1, 1, 0, 2, 1, 3]
    first = forecast.when(bumpy, 25, 2000, seed=forecast.seed_for("when", "board", 25))
    assert first == forecast.when(bumpy, 25, 2000, seed=forecast.seed_for("when", "board", 25))
    days = [first.results[p] for p in metrics.PERCENTILES]
    assert days == sorted(days) and days[0] is not None and days[0] >= 25 // 5
    many = forecast.how_many(bumpy, 30, 2000, seed=7).results
    assert many[95] <= many[85] <= many[70] <= many[50]  # more confidence, fewer items promised


def test_thin_history_gives_no_forecast_and_endless_work_is_beyond_the_horizon() -> None:
    thin = forecast.when([0] * 51 + [1] * 9, 5, 100, seed=1)
    assert (thin.enough_history, thin.nonzero_days, thin.results) == (False, 9, {})
    slow = forecast.when([0] * 50 + [1] * 10, 10_000, 20, seed=1)
    assert slow.enough_history and slow.results == dict.fromkeys(metrics.PERCENTILES, None)
    # exactly one a day: 300 items take 300 days, well inside the horizon
    tight = forecast.when([1] * 10, 300, 20, seed=1)
    assert tight.results == dict.fromkeys(metrics.PERCENTILES, 300)


def test_csv_cells_stay_data_in_a_spreadsheet() -> None:
    from kanban.api.analytics.export import csv_text

    table = (["title", "done", "days"], [["=HYPERLINK(1)", True, -3], [None, False, 2], ["a, b", True, 1],
                                        ["@Phone", True, 1], ["@SUM(A1)", True, 1]])  # fmt: skip
    assert csv_text(table).splitlines() == [
        "title,done,days", "'=HYPERLINK(1),true,-3", ",false,2", '"a, b",true,1', "@Phone,true,1", "'@SUM(A1),true,1",
    ]  # fmt: skip

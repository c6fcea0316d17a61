"""HTTP for flow analytics: GET /boards/{boardId}/analytics/..., each as JSON or CSV. Thin: query in, answer out."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Literal, TypeVar

from fastapi import APIRouter, Query, Request, Response

from kanban.api.analytics import handlers
from kanban.api.analytics.export import Format, csv_response_doc, respond
from kanban.api.analytics.period import (
    DEFAULT_TRIALS,
    DEFAULT_WINDOW_DAYS,
    MAX_FORECAST_ITEMS,
    MAX_TRIALS,
    MAX_WINDOW_DAYS,
)
from kanban.api.analytics.schemas import (
    AgingOut,
    CfdOut,
    CycleTimeOut,
    ForecastHowManyOut,
    ForecastWhenOut,
    ThroughputOut,
    TimeInColumnOut,
    WipOverridesOut,
)
from kanban.api.deps import CurrentUserId, Uow
from kanban.api.problems import problem_responses

router = APIRouter(tags=["analytics"])
T = TypeVar("T")

From = Annotated[
    date | None,
    Query(alias="from", description="first day, inclusive, in the owner's time zone (default: 89 days before `to`)"),
]
To = Annotated[date | None, Query(description="last day, inclusive (default: today in the owner's time zone)")]
FormatQuery = Annotated[Format | None, Query(alias="format", description="csv or json; else the Accept header decides")]
WindowDays = Annotated[
    int, Query(ge=7, le=MAX_WINDOW_DAYS, description="sample: this many days up to yesterday, zero days included")
]
Trials = Annotated[int, Query(ge=100, le=MAX_TRIALS)]
Seed = Annotated[int | None, Query(ge=0, description="default: derived from the request, so it repeats")]


def _docs(description: str) -> dict[int | str, dict[str, object]]:
    return {**csv_response_doc(description), **problem_responses(401, 404, 422)}


async def _shaped(
    uow: Uow, user_id: str, board_id: str, first: date | None, last: date | None, shape: Callable[[handlers.History], T]
) -> T:
    return await handlers.shaped(uow.conn, user_id, board_id, first, last, shape)


@router.get("/boards/{boardId}/analytics/cfd", response_model=CfdOut, responses=_docs("cumulative flow per day"))
async def cfd(
    boardId: str, request: Request, user_id: CurrentUserId, uow: Uow, from_: From = None, to: To = None,
    fmt: FormatQuery = None,
) -> Response:  # fmt: skip
    """Per day, tasks that had arrived, been committed, finished (never decreasing); discarded and trashed apart."""
    return respond(request, fmt, await _shaped(uow, user_id, boardId, from_, to, handlers.cfd), "cfd")


@router.get(
    "/boards/{boardId}/analytics/throughput", response_model=ThroughputOut, responses=_docs("finished per day or week")
)
async def throughput(
    boardId: str, request: Request, user_id: CurrentUserId, uow: Uow, from_: From = None, to: To = None,
    interval: Literal["day", "week"] = "day", fmt: FormatQuery = None,
) -> Response:  # fmt: skip
    """Tasks finished per day (or ISO week, Monday first); days without finishes are kept as 0."""
    out = await _shaped(uow, user_id, boardId, from_, to, lambda h: handlers.throughput(h, interval))
    return respond(request, fmt, out, "throughput")


@router.get(
    "/boards/{boardId}/analytics/cycle-time", response_model=CycleTimeOut, responses=_docs("each finished task")
)
async def cycle_time(
    boardId: str, request: Request, user_id: CurrentUserId, uow: Uow, from_: From = None, to: To = None,
    fmt: FormatQuery = None,
) -> Response:  # fmt: skip
    """Cycle time (commitment to finish) and lead time (capture to finish) of the tasks finished in the
    range, in inclusive calendar days, with nearest-rank p50/p70/p85/p95 (null below 10 tasks)."""
    return respond(request, fmt, await _shaped(uow, user_id, boardId, from_, to, handlers.cycle_time), "cycle-time")


@router.get("/boards/{boardId}/analytics/aging", response_model=AgingOut, responses=_docs("each task in progress"))
async def aging(
    boardId: str, request: Request, user_id: CurrentUserId, uow: Uow, from_: From = None, to: To = None,
    fmt: FormatQuery = None,
) -> Response:  # fmt: skip
    """Work in progress at the end of `to`, each task's age (since commitment) against the cycle-time
    percentiles of the range."""
    return respond(request, fmt, await _shaped(uow, user_id, boardId, from_, to, handlers.aging), "aging")


@router.get(
    "/boards/{boardId}/analytics/time-in-column", response_model=TimeInColumnOut, responses=_docs("hours per column")
)
async def time_in_column(
    boardId: str, request: Request, user_id: CurrentUserId, uow: Uow, from_: From = None, to: To = None,
    fmt: FormatQuery = None,
) -> Response:  # fmt: skip
    """Hours the tasks finished in the range spent in each column and column type, and the waiting
    share (time in Waiting for over cycle time)."""
    out = await _shaped(uow, user_id, boardId, from_, to, handlers.time_in_column)
    return respond(request, fmt, out, "time-in-column")


@router.get(
    "/boards/{boardId}/analytics/wip-overrides", response_model=WipOverridesOut, responses=_docs("each override")
)
async def wip_overrides(
    boardId: str, request: Request, user_id: CurrentUserId, uow: Uow, from_: From = None, to: To = None,
    fmt: FormatQuery = None,
) -> Response:  # fmt: skip
    """Every placement that exceeded a WIP limit with wipOverride, and their count per day."""
    out = await handlers.wip_overrides(uow.conn, handlers.RangeQuery(user_id, boardId, from_, to))
    return respond(request, fmt, out, "wip-overrides")


@router.get(
    "/boards/{boardId}/analytics/forecast/when", response_model=ForecastWhenOut, responses=_docs("dates by confidence")
)
async def forecast_when(
    boardId: str, request: Request, user_id: CurrentUserId, uow: Uow,
    items: Annotated[int | None, Query(ge=1, le=MAX_FORECAST_ITEMS)] = None,
    projectId: str | None = None, columnId: str | None = None,
    windowDays: WindowDays = DEFAULT_WINDOW_DAYS, trials: Trials = DEFAULT_TRIALS, seed: Seed = None,
    fmt: FormatQuery = None,
) -> Response:  # fmt: skip
    """When will N tasks (`items`, a project's open tasks, or a column's tasks) be finished, at
    50/70/85/95% confidence: a Monte Carlo run over recent daily throughput."""
    q = handlers.ForecastQuery(user_id, boardId, windowDays, trials, seed)
    with handlers.collector_paused():  # the sampled history is freed before collection resumes
        out = await handlers.forecast_when(uow.conn, q, items, projectId, columnId)
    return respond(request, fmt, out, "forecast-when")


@router.get(
    "/boards/{boardId}/analytics/forecast/how-many",
    response_model=ForecastHowManyOut,
    responses=_docs("items by confidence"),
)
async def forecast_how_many(
    boardId: str, request: Request, user_id: CurrentUserId, uow: Uow,
    date_: Annotated[
        date | None, Query(alias="date", description="the last day, inclusive (default: 30 days from today on)")
    ] = None,
    windowDays: WindowDays = DEFAULT_WINDOW_DAYS, trials: Trials = DEFAULT_TRIALS, seed: Seed = None,
    fmt: FormatQuery = None,
) -> Response:  # fmt: skip
    """How many tasks will be finished from today to `date`: at least X with each confidence."""
    q = handlers.ForecastQuery(user_id, boardId, windowDays, trials, seed)
    with handlers.collector_paused():
        out = await handlers.forecast_how_many(uow.conn, q, date_)
    return respond(request, fmt, out, "forecast-how-many")

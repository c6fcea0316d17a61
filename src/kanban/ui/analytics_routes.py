"""The analytics page: flow charts, their tables and the forecasts of one board.

The page reads the board's history once and shapes every metric from it with the API's own
handlers (the same answers `GET /boards/{id}/analytics/...` gives); the charts draw from those
answers, carried in data attributes (the CSP allows no inline script), so one page view replays
the history once, not once per chart.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BeforeValidator

from kanban.api.analytics import handlers
from kanban.api.analytics import repository as analytics_repo
from kanban.api.analytics.period import (
    DEFAULT_TRIALS,
    DEFAULT_WINDOW_DAYS,
    MAX_FORECAST_ITEMS,
    owner_zone,
    resolve,
    today_in,
)
from kanban.api.deps import CurrentUserId, Uow
from kanban.api.errors import InvalidInput
from kanban.api.projects import routes as projects_api
from kanban.db.types import utcnow
from kanban.ui.render import page
from kanban.ui.routes import PageRoute, _shell

router = APIRouter(route_class=PageRoute, include_in_schema=False)
# The page opens on the last twelve weeks (the API's own default is 90 days).
DEFAULT_DAYS = 84
Interval = Literal["day", "week"]
# A form sends its empty fields as "": the page reads them as absent, not as a 422.
FormDate = Annotated[date | None, BeforeValidator(lambda v: v or None)]
FormInt = Annotated[int | None, BeforeValidator(lambda v: v or None)]


async def _forecast(
    uow: Uow, user_id: str, board_id: str, ask: str | None, scope: str | None, items: int | None, until: date | None
) -> dict[str, Any]:
    """The forecast asked for (`ask`: when / how-many), or why it could not be given."""
    if ask not in ("when", "how-many"):
        return {}
    q = handlers.ForecastQuery(user_id, board_id, DEFAULT_WINDOW_DAYS, DEFAULT_TRIALS, None)
    try:
        if ask == "how-many":
            return {"how_many": await handlers.forecast_how_many(uow.conn, q, until)}
        kind, _, ref = (scope or "items").partition(":")
        count = items if kind == "items" else None
        if kind == "items" and not (count is not None and 1 <= count <= MAX_FORECAST_ITEMS):
            raise InvalidInput(f"give a number of tasks from 1 to {MAX_FORECAST_ITEMS}", field="items")
        when = await handlers.forecast_when(
            uow.conn, q, count, ref if kind == "project" else None, ref if kind == "column" else None
        )
        return {"when": when}
    except InvalidInput as refused:
        return {"forecast_error": str(refused)}


def _answers(h: handlers.History, interval: Interval) -> dict[str, Any]:
    return {
        "cfd": handlers.cfd(h),
        "throughput": handlers.throughput(h, interval),
        "cycle_time": handlers.cycle_time(h),
        "aging": handlers.aging(h),
        "time_in_column": handlers.time_in_column(h),
        "columns": list(h.columns.values()),
    }


@router.get("/boards/{boardId}/analytics")
async def analytics_page(
    boardId: str,
    user_id: CurrentUserId,
    uow: Uow,
    from_: Annotated[FormDate, Query(alias="from")] = None,
    to: FormDate = None,
    interval: Interval = "day",
    ask: str | None = None,
    scope: str | None = None,
    items: FormInt = None,
    until: FormDate = None,
) -> Response:
    board = await analytics_repo.owned_board_info(uow.conn, boardId, user_id)
    tz, now = owner_zone(board.timezone), utcnow()
    last = to or today_in(tz, now)
    first = from_ or last - timedelta(days=DEFAULT_DAYS - 1)
    range_error = None
    try:
        period = resolve(first, last, tz, now)
    except InvalidInput as refused:
        range_error = str(refused)
        last = today_in(tz, now)
        period = resolve(last - timedelta(days=DEFAULT_DAYS - 1), last, tz, now)
    with handlers.collector_paused():  # the history is freed before collection resumes
        answers = _answers(await handlers.history_for(uow.conn, board.id, period), interval)
    projects = await projects_api.list_projects(boardId, user_id, uow, "active", 500, 0)
    with handlers.collector_paused():
        forecast = await _forecast(uow, user_id, boardId, ask, scope, items, until)
    shell = await _shell(user_id, uow, boardId)
    return page(
        "analytics.html", period=period, interval=interval, range_error=range_error,
        projects=projects.items, scope=scope, items=items, until=until, today=today_in(tz, now),
        default_until=today_in(tz, now) + timedelta(days=29), window_days=DEFAULT_WINDOW_DAYS,
        **answers, **forecast, **shell,
    )  # fmt: skip


@router.get("/ui/boards/{boardId}/analytics/forecast")
async def forecast_fragment(
    boardId: str,
    user_id: CurrentUserId,
    uow: Uow,
    ask: str | None = None,
    scope: str | None = None,
    items: FormInt = None,
    until: FormDate = None,
) -> Response:
    """Only the forecast's answer: what the form fetches in place when scripts run."""
    with handlers.collector_paused():
        forecast = await _forecast(uow, user_id, boardId, ask, scope, items, until)
    return page("_forecast.html", board_id=boardId, **forecast)

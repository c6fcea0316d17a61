"""The days a request asks about, in the board owner's time zone, with the bounds that keep it cheap."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kanban.api.errors import InvalidInput

DEFAULT_RANGE_DAYS = 90
MAX_RANGE_DAYS = 731  # two years of days: a chart no one reads beyond that, and a bounded answer
MAX_FORECAST_ITEMS = 10_000
MAX_HOW_MANY_DAYS = 366
DEFAULT_WINDOW_DAYS = 60
MAX_WINDOW_DAYS = 365
DEFAULT_TRIALS = 10_000
MAX_TRIALS = 20_000
# Dates outside these years are refused (a 422, not an overflow deep in date arithmetic).
FIRST_YEAR, LAST_YEAR = 1970, 2999


def owner_zone(name: str | None) -> ZoneInfo:
    """The owner's zone; a name zoneinfo no longer knows (validated when set) falls back to UTC."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


@dataclass(frozen=True)
class Period:
    first: date
    last: date
    tz: ZoneInfo

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def start_utc(self) -> datetime:
        return datetime.combine(self.first, time.min, self.tz).astimezone(UTC)

    def end_utc(self) -> datetime:
        """The first instant after the range: midnight after `last`, local (23, 24 or 25 hours on)."""
        return datetime.combine(self.last + timedelta(days=1), time.min, self.tz).astimezone(UTC)


def today_in(tz: ZoneInfo, now: datetime) -> date:
    return now.astimezone(tz).date()


def resolve(first: date | None, last: date | None, tz: ZoneInfo, now: datetime) -> Period:
    """`from`/`to` inclusive; by default the last 90 days up to today. Refused: backwards or too long."""
    for name, day in (("from", first), ("to", last)):
        if day is not None and not FIRST_YEAR <= day.year <= LAST_YEAR:
            raise InvalidInput(f"{name} must be between {FIRST_YEAR} and {LAST_YEAR}", field=name)
    last = last or today_in(tz, now)
    first = first or last - timedelta(days=DEFAULT_RANGE_DAYS - 1)
    if first > last:
        raise InvalidInput(f"from ({first}) is after to ({last})", field="from")
    if (last - first).days + 1 > MAX_RANGE_DAYS:
        raise InvalidInput(
            f"the range is {(last - first).days + 1} days; at most {MAX_RANGE_DAYS} days are allowed",
            field="from",
            limit=MAX_RANGE_DAYS,
        )
    return Period(first, last, tz)

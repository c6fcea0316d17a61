"""Turning the legacy free-text task duration ("30 minutes", "1h 30m") into whole minutes."""

from __future__ import annotations

import re

_UNITS = {
    "m": 1, "min": 1, "mins": 1, "minute": 1, "minutes": 1,
    "h": 60, "hr": 60, "hrs": 60, "hour": 60, "hours": 60,
    "d": 480, "day": 480, "days": 480,  # a working day, as the legacy agents estimated
}  # fmt: skip
_PART = re.compile(r"(\d+(?:[.,]\d+)?)\s*([a-z]+)")


def duration_minutes(text: str | None) -> int | None:
    """Minutes for text the legacy UI or agents wrote; None when the text says no duration we can read.

    A bare number is minutes. Parts add up: "1h 30m" is 90.
    """
    if text is None:
        return None
    value = text.strip().lower()
    if not value:
        return None
    if re.fullmatch(r"\d+", value):
        return int(value)
    parts = _PART.findall(value)
    leftover = _PART.sub("", value).replace("and", "").strip(" ,")
    if not parts or leftover:
        return None
    total = 0.0
    for number, unit in parts:
        if unit not in _UNITS:
            return None
        total += float(number.replace(",", ".")) * _UNITS[unit]
    return round(total)

"""Monte Carlo forecasts from recent daily throughput, seeded so one request always gives one answer.

Each trial replays the future as a run of days, each day's throughput drawn at random from the
sample (the last `window` calendar days up to yesterday, days without finishes included).
Pure Python: measured fast enough for 10,000 trials (docs/benchmarks.md), so no numpy.
"""

from __future__ import annotations

import hashlib
import math
import random
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate, product

from kanban.api.analytics.metrics import PERCENTILES, nearest_rank

MIN_NONZERO_DAYS = 10
# A trial that has not finished after this many days stops: the answer is "beyond the horizon"
# (five years; it also bounds the work one request can ask for).
HORIZON_DAYS = 1830


@dataclass(frozen=True)
class Forecast:
    enough_history: bool
    nonzero_days: int
    # confidence (50, 70, 85, 95) -> days from today (day 1 = today) or items; None: beyond the horizon
    results: dict[int, int | None]


def seed_for(*parts: object) -> int:
    """A stable seed from the request's own parameters (not Python's salted hash())."""
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def _enough(sample: Sequence[int]) -> int:
    return sum(1 for n in sample if n > 0)


def when(sample: Sequence[int], items: int, trials: int, seed: int) -> Forecast:
    """Days until `items` tasks are finished, at each confidence: the day by which that share of
    trials had finished them all."""
    nonzero = _enough(sample)
    if nonzero < MIN_NONZERO_DAYS:
        return Forecast(False, nonzero, {})
    rng = random.Random(seed)
    mean = sum(sample) / len(sample)
    if items / mean > HORIZON_DAYS:
        # Even the average pace needs longer than the horizon: so does the median trial, and
        # every higher confidence with it.
        return Forecast(True, nonzero, dict.fromkeys(PERCENTILES, None))
    # Draw days in blocks sized to the expected run, then find where the running total reaches N.
    block = min(HORIZON_DAYS, math.ceil(items / mean * 1.25) + 4)
    days_needed: list[float] = []
    for _ in range(trials):
        done, days = 0, 0
        while days < HORIZON_DAYS:
            running = list(accumulate(rng.choices(sample, k=block), initial=done))
            at = bisect_left(running, items)
            if at < len(running):
                days += at
                break
            done, days = running[-1], days + block
        days_needed.append(days if days < HORIZON_DAYS else math.inf)
    days_needed.sort()
    results: dict[int, int | None] = {}
    for p in PERCENTILES:
        v = nearest_rank(days_needed, p)
        results[p] = None if math.isinf(v) else int(v)
    return Forecast(True, nonzero, results)


def how_many(sample: Sequence[int], days: int, trials: int, seed: int) -> Forecast:
    """Tasks finished in the next `days` days: "at least X with 85% confidence" is the 15th
    percentile of the trials' totals."""
    nonzero = _enough(sample)
    if nonzero < MIN_NONZERO_DAYS:
        return Forecast(False, nonzero, {})
    rng = random.Random(seed)
    group = _group_size(len(sample), days, trials)
    # The sum of `group` days drawn independently is one draw from the sums of every ordered
    # `group`-tuple of sampled days: exactly the same distribution, with `group` times fewer draws.
    sums = [sum(t) for t in product(sample, repeat=group)]
    whole, rest = divmod(days, group)
    totals = sorted(sum(rng.choices(sums, k=whole)) + sum(rng.choices(sample, k=rest)) for _ in range(trials))
    return Forecast(True, nonzero, {p: int(nearest_rank(totals, 100 - p)) for p in PERCENTILES})


def _group_size(n: int, days: int, trials: int) -> int:
    """Days per draw for `how_many`: the fewest draws, counting the n**g sums to precompute."""
    options = [g for g in (1, 2, 3) if g <= days and n**g <= 300_000]
    return min(options, key=lambda g: trials * math.ceil(days / g) + (n**g if g > 1 else 0))

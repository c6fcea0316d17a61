"""Retry timing: exponential backoff with full jitter, as a small policy object."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
    base_seconds: float = 0.5
    max_seconds: float = 60.0
    jitter: bool = True

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        """Seconds to wait before attempt number `attempt + 1` (attempt counts from 1)."""
        ceiling = min(self.max_seconds, self.base_seconds * (2 ** max(attempt - 1, 0)))
        if not self.jitter:
            return ceiling
        return (rng or random).uniform(ceiling / 2, ceiling)

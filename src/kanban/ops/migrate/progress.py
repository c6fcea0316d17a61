"""Progress of long work on stderr: per table, rows done, rows per second and time left."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO


class Progress:
    def __init__(
        self, stream: TextIO | None = None, clock: Callable[[], float] = time.monotonic, every: float = 1.0
    ) -> None:
        self._stream = stream if stream is not None else sys.stderr
        self._clock = clock
        self._every = every
        self._name = ""
        self._total = 0
        self._done = 0
        self._start_done = 0
        self._started = 0.0
        self._shown = 0.0

    def start(self, name: str, total: int, done: int = 0) -> None:
        self._name, self._total, self._done, self._start_done = name, total, done, done
        self._started = self._shown = self._clock()

    def advance(self, rows: int) -> None:
        self._done += rows
        if self._clock() - self._shown >= self._every:
            self._show()

    def finish(self, note: str = "") -> None:
        self._show(final=True, note=note)

    def message(self, text: str) -> None:
        print(text, file=self._stream, flush=True)

    def alongside(self) -> Progress:
        """A progress for work running beside this one's, on the same stream (each line names its table)."""
        return Progress(self._stream, self._clock, self._every)

    def _show(self, final: bool = False, note: str = "") -> None:
        now = self._clock()
        self._shown = now
        elapsed = max(now - self._started, 1e-6)
        rate = (self._done - self._start_done) / elapsed
        left = max(self._total - self._done, 0)
        eta = "done" if final else (f"ETA {left / rate:,.0f}s" if rate > 0 else "ETA ?")
        line = f"  {self._name:<26} {self._done:>10,}/{self._total:<10,} rows {rate:>10,.0f} rows/s  {eta}"
        print(line + (f"  {note}" if note else ""), file=self._stream, flush=True)


class SilentProgress(Progress):
    def alongside(self) -> Progress:
        return SilentProgress()

    def _show(self, final: bool = False, note: str = "") -> None:
        return

    def message(self, text: str) -> None:
        return

"""The garbage collector's pace during a bulk copy: fewer collections of the same garbage.

CPython starts a young collection every 700 new container objects and, as survivors pile up, full
collections that walk every object alive. A split keeps a couple of batches of rows in flight
(records, dicts, events: a few hundred thousand objects), churns through them and creates almost no
reference cycles, so at the default pace it ran about 3,800 young and 30 full collections, 20-25 %
of its CPU, to free about 2,000 objects. At 50,000 objects per young collection cycles are still
collected, about a hundred times less often, for some 20-30 MiB more of resident memory at peak
(docs/benchmarks.md). The previous thresholds come back when the block ends, as the split also runs
inside other processes (tests, benchmarks).
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

BULK_THRESHOLDS = (50_000, 20, 100)


@contextlib.contextmanager
def fewer_collections() -> Iterator[None]:
    before = gc.get_threshold()
    gc.set_threshold(*BULK_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*before)

"""The split's collector pace applies inside its block only, and still collects reference cycles."""

from __future__ import annotations

import gc
import weakref

import pytest

from kanban.ops.migrate.gc_pace import BULK_THRESHOLDS, fewer_collections


def test_the_thresholds_come_back_after_the_block_even_when_it_fails() -> None:
    before = gc.get_threshold()
    with pytest.raises(RuntimeError), fewer_collections():
        assert gc.get_threshold() == BULK_THRESHOLDS
        raise RuntimeError("a failed step")
    assert gc.get_threshold() == before


def test_cycles_made_inside_the_block_are_still_collected() -> None:
    class Node:
        pass

    with fewer_collections():
        first, second = Node(), Node()
        first.other, second.other = second, first  # type: ignore[attr-defined]
        gone = weakref.ref(first)
        del first, second
        # Enough new containers, kept alive (a freed one does not count), to start a young collection.
        alive = [[None] for _ in range(2 * BULK_THRESHOLDS[0])]
        assert gone() is None
        del alive

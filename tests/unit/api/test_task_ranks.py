"""Sparse ranks: a place between two neighbours, or a signal that the column needs renumbering."""

from __future__ import annotations

from kanban.api.tasks.rules import RANK_STEP, rank_between


def test_an_empty_column_starts_at_one_step() -> None:
    assert rank_between(None, None) == RANK_STEP


def test_the_ends_are_one_step_beyond_the_outermost_rank() -> None:
    assert rank_between(None, 10.0) == 10.0 - RANK_STEP
    assert rank_between(10.0, None) == 10.0 + RANK_STEP


def test_a_place_between_two_neighbours_is_strictly_between_them() -> None:
    assert 1.0 < rank_between(1.0, 2.0) < 2.0  # type: ignore[operator]


def test_neighbours_with_no_float_between_them_ask_for_renumbering() -> None:
    tiny = 1.0
    assert rank_between(tiny, tiny) is None  # equal ranks (imported data)
    assert rank_between(tiny, tiny + 2.220446049250313e-16) is None  # adjacent floats


def test_repeated_halving_runs_out_after_about_fifty_steps() -> None:
    low, high, steps = 0.0, RANK_STEP, 0
    while (middle := rank_between(low, high)) is not None:
        high, steps = middle, steps + 1
    assert 40 < steps < 1100

"""The pure task rules: WIP limits, the done flag, staleness, clarify targets, context lanes, positions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kanban.api.errors import WipLimitReached
from kanban.api.tasks.rules import (
    DECISION_TARGET,
    BoardSettings,
    check_wip,
    clamp_position,
    done_transition,
    is_stale,
    lane_context,
    wip_override_needed,
)

NOW = datetime(2026, 1, 15, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("limit", "occupied", "needed"), [(None, 99, False), (2, 1, False), (2, 2, True), (1, 0, False)]
)
def test_a_limit_of_n_holds_exactly_n(limit: int | None, occupied: int, needed: bool) -> None:
    assert wip_override_needed(limit, occupied) is needed


def test_check_wip_refuses_unless_overridden_and_reports_the_override() -> None:
    with pytest.raises(WipLimitReached):
        check_wip("Next", 2, 2, override=False)
    assert check_wip("Next", 2, 2, override=True) is True
    assert check_wip("Next", 2, 1, override=True) is False


@pytest.mark.parametrize(
    ("source", "target", "transition"),
    [
        ("INPUT", "DONE", "completed"),
        ("DONE", "CONTEXT", "reopened"),
        ("DONE", "ARCHIVE", "reopened"),
        ("DONE", "DONE", None),
        ("INPUT", "CONTEXT", None),
        (None, "DONE", "completed"),
    ],
)
def test_done_follows_the_column(source: str | None, target: str, transition: str | None) -> None:
    assert done_transition(source, target) == transition


def test_stale_means_not_moved_for_the_boards_days_outside_resting_columns() -> None:
    old = NOW - timedelta(days=7)
    assert is_stale(old, "CONTEXT", 7, NOW) is True
    assert is_stale(old + timedelta(seconds=1), "CONTEXT", 7, NOW) is False
    for resting in ("DONE", "ARCHIVE", "SOMEDAY"):
        assert is_stale(old, resting, 7, NOW) is False
    assert is_stale(old, "CONTEXT", 30, NOW) is False


def test_context_lanes_match_by_name_ignoring_case_and_at_sign() -> None:
    assert lane_context("@Email") == "EMAIL"
    assert lane_context(" phone ") == "PHONE"
    assert lane_context("Next actions") is None


def test_decisions_target_gtd_columns() -> None:
    assert DECISION_TARGET["done"] == "DONE"
    assert DECISION_TARGET["waiting"] == "WAITING"
    assert DECISION_TARGET["trash"] is None


def test_a_position_is_clamped_to_the_column_and_defaults_to_its_end() -> None:
    assert clamp_position(0, 2) == 0
    assert clamp_position(99, 2) == 2
    assert clamp_position(-5, 2) == 0
    assert clamp_position(None, 2) == 2


def test_board_settings_round_trip_with_defaults() -> None:
    assert BoardSettings.from_config({}) == BoardSettings(7, False, 0.9)
    settings = BoardSettings(3, True, 0.5)
    assert BoardSettings.from_config(settings.to_config()) == settings

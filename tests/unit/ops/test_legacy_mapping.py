"""The rules that turn legacy rows into ours, one row at a time, without a database."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from kanban.ops.legacy.context import LegacyContext
from kanban.ops.legacy.duration import duration_minutes
from kanban.ops.legacy.findings import Findings, InvalidRow
from kanban.ops.legacy.mapping import TaskTagMapper, board_config, map_hint, map_rule, map_task

T0 = datetime(2024, 5, 1, 12, 0, 0)


@pytest.mark.parametrize(
    ("text", "minutes"),
    [("30 minutes", 30), ("1 hour", 60), ("2h", 120), ("1h 30m", 90), ("45 min", 45), ("90", 90),
     ("1.5 hours", 90), ("1 hour and 15 minutes", 75), ("2 days", 960), ("soon-ish", None), ("3 weeks", None),
     ("", None), (None, None)],
)  # fmt: skip
def test_durations_in_free_text_become_minutes(text: str | None, minutes: int | None) -> None:
    assert duration_minutes(text) == minutes


def _ctx(**overrides: Any) -> LegacyContext:
    base: dict[str, Any] = dict(
        column_types={"c-done": "DONE", "c-next": "CONTEXT", "c-archive": "ARCHIVE"},
        tasks_per_column={}, board_ids={"b1"}, user_ids={"u1"}, project_ids=set(),
        tag_survivor={"t1": "t1", "t2": "t1"}, tag_names={"t1": "Urgent"}, brain_projects=set(),
        column_positions={}, task_positions={"task": 0}, checklist_positions={},
    )  # fmt: skip
    return LegacyContext(**(base | overrides))


def _task(**overrides: Any) -> dict[str, Any]:
    row = dict(
        id="task", boardId="b1", columnId="c-next", projectId=None, ownerId="u1", title="Call Bob",
        description=None, context="PHONE", waitingFor=None, dueAt=None, priority=None, duration=None,
        needsBreakdown=False, metadata=None, isDone=False, position=0, createdAt=T0, updatedAt=T0,
        completedAt=None, lastMovedAt=T0, stale=False,
    )  # fmt: skip
    return row | overrides


def test_the_column_decides_whether_a_task_is_done() -> None:
    f = Findings()
    in_done = map_task(_task(columnId="c-done", isDone=False), _ctx(), f)
    left_done = map_task(_task(isDone=True, completedAt=T0), _ctx(), f)
    archived = map_task(_task(columnId="c-archive", isDone=True, completedAt=T0), _ctx(), f)

    assert in_done["is_done"] and in_done["completed_at"] is not None
    assert not left_done["is_done"] and left_done["completed_at"] is None
    assert left_done["metadata"] == {"legacyCompletedAt": "2024-05-01T12:00:00+00:00"}
    assert not archived["is_done"]
    assert f.counts == {"task-done-by-column": 1, "task-completed-at-filled": 1, "task-reopened-by-column": 2}
    assert f.batch == [["task-done-by-column", "task"], ["task-completed-at-filled", "task"],
                       ["task-reopened-by-column", "task"], ["task-reopened-by-column", "task"]]  # fmt: skip


def test_an_unreadable_duration_is_kept_in_metadata() -> None:
    f = Findings()
    row = map_task(_task(duration="soon-ish", metadata='{"source": "email"}'), _ctx(), f)
    assert row["duration_minutes"] is None
    assert row["metadata"] == {"source": "email", "legacyDuration": "soon-ish"}
    assert f.counts == {"task-duration-unreadable": 1}


def test_board_config_keeps_valid_legacy_settings_under_the_apis_keys() -> None:
    f = Findings()
    config = board_config('{"staleAfterDays": 14, "autoApplyThreshold": 7, "theme": "dark"}', "b1", f)
    assert config == {"stale_after_days": 14, "auto_apply_hints": False, "auto_apply_threshold": 0.9}
    assert f.counts == {"board-config-value-replaced": 1, "board-config-key-dropped": 1}
    assert board_config(None, "b2", f)["stale_after_days"] == 7


def test_an_applied_hint_becomes_dismissed() -> None:
    f = Findings()
    row = dict(id="h", taskId="task", agentId="a", hintType="title", title=None, content=None, data=None,
               confidence=1.2, applied=True, createdAt=T0, updatedAt=T0)  # fmt: skip
    hint = map_hint(row, _ctx(), f)
    assert (hint["status"], hint["confidence"], hint["applied_at"]) == ("dismissed", 1.0, None)
    assert f.counts == {"hint-applied-ambiguous": 1, "hint-confidence-clamped": 1}


def test_task_tags_of_merged_tags_point_at_the_survivor_once() -> None:
    f, mapper = Findings(), TaskTagMapper()
    rows = [mapper({"taskId": "task", "tagId": tag}, _ctx(), f) for tag in ("t1", "t2")]
    assert rows == [{"task_id": "task", "tag_id": "t1"}, None]
    assert f.counts == {"task-tag-duplicate-dropped": 1}
    assert f.batch == [["task-tag-duplicate-dropped", "task/t2"]]


def test_the_dropped_duplicate_named_is_never_the_task_tag_that_survives() -> None:
    f, mapper = Findings(), TaskTagMapper()
    rows = [mapper({"taskId": "task", "tagId": tag}, _ctx(), f) for tag in ("t2", "t1")]  # merged one first
    assert rows == [{"task_id": "task", "tag_id": "t1"}, None]
    assert f.counts == {"task-tag-duplicate-dropped": 1}
    assert f.examples == {"task-tag-duplicate-dropped": ["task/t2"]}
    assert f.batch == [["task-tag-duplicate-dropped", "task/t2"]]


def test_a_rule_of_a_board_that_does_not_exist_cannot_be_migrated() -> None:
    row = dict(id="r", boardId="gone", ownerId="u1", name="x", description=None, enabled=True, priority=1,
               trigger="{}", conditions=None, actions="[]", lastRunAt=None, createdAt=T0, updatedAt=T0)  # fmt: skip
    with pytest.raises(InvalidRow, match="board gone does not exist"):
        map_rule(row, _ctx(), Findings())

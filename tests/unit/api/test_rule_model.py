"""The rule engine's pure core: conditions with missing fields, trigger matching, planning, legacy shapes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from kanban.api.rules.legacy import UntranslatableCron, cron_to_rrule, normalize_document
from kanban.api.rules.model import (
    CannotPlan,
    Column,
    RuleSpec,
    TaskEventFacts,
    TaskView,
    condition_holds,
    plan_actions,
    trigger_matches,
    wip_refusal,
)
from kanban.api.rules.schemas import TaskCreatedConfig

NOW = datetime(2026, 3, 6, 12, 0, tzinfo=UTC)
COLUMNS = [
    Column("in", "Inbox", "INPUT", 0, None, 1),
    Column("next", "Next actions", "CONTEXT", 1, 2, 2),
    Column("done", "Done", "DONE", 2, None, 0),
]
TASK = TaskView(
    id="t", board_id="b", owner_id="u", column_id="in", column_type="INPUT", title="Call Alex", description=None,
    context=None, priority=None, project_id=None, tags=("Work",), due_at=None, duration_minutes=None, is_done=False,
    needs_breakdown=False, waiting_for=None, created_at=NOW - timedelta(days=3), last_moved_at=NOW, position=2,
    source="email", checklist_total=0, checklist_done=0,
)  # fmt: skip


def rule(trigger: dict, actions: list[dict], conditions: list[dict] | None = None) -> RuleSpec:  # type: ignore[type-arg]
    return RuleSpec("r", "b", "u", "r", 100, trigger, conditions or [], actions)


@pytest.mark.parametrize(
    ("condition", "holds"),
    [
        ({"field": "dueAt", "operator": "lt", "value": 2}, False),  # no due date: no match, not an error
        ({"field": "description", "operator": "contains", "value": "x"}, False),
        ({"field": "context", "operator": "eq", "value": None}, True),
        ({"field": "context", "operator": "neq", "value": None}, False),
        ({"field": "tags", "operator": "eq", "value": "work"}, True),
        ({"field": "tags", "operator": "in", "value": ["home", "WORK"]}, True),
        ({"field": "title", "operator": "contains", "value": "call"}, True),
        ({"field": "ageDays", "operator": "gt", "value": 2}, True),
        ({"field": "source", "operator": "eq", "value": "email"}, True),
        ({"field": "colour", "operator": "eq", "value": "red"}, False),  # unknown field
        ({"field": "title", "operator": "like", "value": "x"}, False),  # unknown operator
    ],
)
def test_conditions_treat_a_missing_field_as_no_match(condition: dict, holds: bool) -> None:  # type: ignore[type-arg]
    assert condition_holds(condition, TASK, NOW) is holds


def test_triggers_match_on_column_type_source_and_fields() -> None:
    created = TaskEventFacts("created", to_column_id="in", to_column_type="INPUT")
    assert trigger_matches(rule({"type": "task.created", "config": {"sources": ["email"]}}, []), created, TASK)
    assert not trigger_matches(rule({"type": "task.created", "config": {"sources": ["web"]}}, []), created, TASK)
    assert TaskCreatedConfig.model_validate({"sources": ["share", "bookmarklet"]}).sources == ["share", "bookmarklet"]
    shared = replace(TASK, source="share")  # a phone's share sheet, through the installed app
    assert trigger_matches(rule({"type": "task.created", "config": {"sources": ["share"]}}, []), created, shared)
    moved = TaskEventFacts("moved", frozenset({"column_id"}), "in", "INPUT", "next", "CONTEXT")
    assert trigger_matches(rule({"type": "task.moved", "config": {"fromColumnType": "INPUT"}}, []), moved, TASK)
    assert not trigger_matches(rule({"type": "task.moved", "config": {"toColumnType": "DONE"}}, []), moved, TASK)
    tagged = TaskEventFacts("updated", frozenset({"tags"}))
    assert trigger_matches(rule({"type": "task.updated", "config": {"fields": ["tags"]}}, []), tagged, TASK)
    assert not trigger_matches(rule({"type": "task.updated", "config": {"fields": ["dueAt"]}}, []), tagged, TASK)
    assert not trigger_matches(rule({"type": "task.stale"}, []), tagged, TASK)


def test_a_plan_holds_only_the_net_change_and_sees_wip_limits() -> None:
    noop = plan_actions(rule({}, [{"type": "add_tag", "config": {"name": "x"}}, {"type": "remove_tag", "config": {"name": "X"}}]), TASK, COLUMNS, NOW)  # fmt: skip
    assert noop.empty and noop.changes == []
    move = plan_actions(rule({}, [{"type": "move_to_type", "config": {"columnType": "CONTEXT", "position": "top"}}]), TASK, COLUMNS, NOW)  # fmt: skip
    assert (move.column and move.column.id, move.position) == ("next", 0)
    assert wip_refusal(move, TASK) == "refused by WIP: column 'Next actions' holds 2 of 2 tasks"
    done = plan_actions(
        rule({}, [{"type": "mark_done"}]), replace(TASK, column_id="done", column_type="DONE"), COLUMNS, NOW
    )
    assert done.empty
    with pytest.raises(CannotPlan, match="no ARCHIVE column"):
        plan_actions(rule({}, [{"type": "archive"}]), TASK, COLUMNS, NOW)
    with pytest.raises(CannotPlan, match="unknown action 'page_me'"):
        plan_actions(rule({}, [{"type": "page_me"}]), TASK, COLUMNS, NOW)
    with pytest.raises(CannotPlan, match="notify: unknown channel 'pager'"):
        plan_actions(rule({}, [{"type": "notify", "config": {"channel": "pager"}}]), TASK, COLUMNS, NOW)
    notice = plan_actions(rule({}, [{"type": "notify", "config": {"channel": "digest", "message": "hi"}}]), TASK, COLUMNS, NOW)  # fmt: skip
    assert not notice.empty and notice.notifications == [{"channel": "digest", "message": "hi"}]
    assert notice.changes == [{"action": "notify", "channel": "digest", "message": "hi"}]
    waiting = plan_actions(rule({}, [{"type": "set_waiting", "config": {"waitingFor": "Sam", "followUpInDays": 3}}]), TASK, COLUMNS, NOW)  # fmt: skip
    assert waiting.fields == {"waiting_for": "Sam", "due_at": NOW + timedelta(days=3)}


def test_legacy_shapes_translate_and_the_rest_stays_visible() -> None:
    assert cron_to_rrule("0 9 * * *") == "FREQ=DAILY;BYHOUR=9;BYMINUTE=0"
    assert cron_to_rrule("30 16 * * 5") == "FREQ=WEEKLY;BYDAY=FR;BYHOUR=16;BYMINUTE=30"
    assert cron_to_rrule("0 8 1 * *") == "FREQ=MONTHLY;BYMONTHDAY=1;BYHOUR=8;BYMINUTE=0"
    with pytest.raises(UntranslatableCron):
        cron_to_rrule("*/5 * * * *")
    trigger, conditions, actions = normalize_document(
        {"type": "schedule", "config": {"cron": "0 9 * * *"}}, None, [{"type": "move", "config": {"to": "SOMEDAY"}}]
    )
    assert trigger["config"]["rrule"] == "FREQ=DAILY;BYHOUR=9;BYMINUTE=0" and conditions == []
    assert actions == [{"type": "move_to_type", "config": {"columnType": "SOMEDAY"}}]
    assert normalize_document({"type": "schedule", "config": {"cron": "@daily"}}, [], [])[0]["type"] == "untranslatable"

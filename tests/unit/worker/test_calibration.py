"""Confidence means what it says: on labelled tasks the local rules were not written from, a
proposal's confidence is about how often it is right, and only near-certain ones reach a board's
auto-apply threshold.

The fixtures are in the scorer's format (tests/fixtures/hints/*.jsonl): `held_out` has other
names, other step formats and another tag vocabulary than the development set; `untuned` was
written after the rules and never used to change them.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from kanban.worker.providers.local.actions import extract_actions
from kanban.worker.providers.local.analysis import analyse
from kanban.worker.providers.tasks import AnalysisRequest

FIXTURES = Path(__file__).parents[2] / "fixtures" / "hints"
AUTO_APPLY = 0.9  # the boards' default threshold
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def labelled(name: str) -> list[dict[str, Any]]:
    lines = (FIXTURES / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines[1:] if line.strip()]


def contexts(items: list[dict[str, Any]]) -> list[tuple[str | None, float, str | None]]:
    out = []
    for item in items:
        answer = analyse(AnalysisRequest(title=item["title"], description=item.get("description") or "", now=NOW))
        out.append((answer.context, answer.context_confidence, item["expect"]["context"]))
    return out


@pytest.mark.parametrize("fixture", ["held_out.jsonl", "untuned.jsonl"])
def test_a_confident_context_is_right_and_a_task_without_one_gets_none_confidently(fixture: str) -> None:
    answers = contexts(labelled(fixture))
    confident = [(got, want) for got, conf, want in answers if got is not None and conf >= AUTO_APPLY]

    assert confident, "explicit verbs should be confident"
    assert sum(got == want for got, want in confident) / len(confident) >= 0.95
    assert not [got for got, want in confident if want is None and got != "OTHER"]


@pytest.mark.parametrize("fixture", ["held_out.jsonl", "untuned.jsonl"])
def test_each_confidence_level_is_right_about_as_often_as_it_claims(fixture: str) -> None:
    by_level: dict[float, list[bool]] = defaultdict(list)
    for got, conf, want in contexts(labelled(fixture)):
        if got is not None and want is not None:
            by_level[conf].append(got == want)
    for level, outcomes in by_level.items():
        if len(outcomes) >= 3:  # too few to judge a level otherwise
            assert sum(outcomes) / len(outcomes) >= level - 0.15, (level, outcomes)


def test_steps_written_in_any_common_form_are_found_and_prose_without_steps_gives_none() -> None:
    items = labelled("held_out.jsonl") + labelled("untuned.jsonl")
    with_steps = [i for i in items if i["expect"]["actions"]]
    without = [i for i in items if not i["expect"]["actions"]]

    for item in with_steps:
        found = extract_actions(item["title"], item.get("description") or "")
        assert len(found) == len(item["expect"]["actions"]), (item["id"], found)
    assert not [i["id"] for i in without if extract_actions(i["title"], i.get("description") or "")]

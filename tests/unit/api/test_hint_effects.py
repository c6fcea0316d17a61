"""What a hint's content turns into, without a database: values checked, tags cleaned, summaries quoted."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from kanban.api.hints.effects import HintNotApplicable, action_items, field_value, summary_section, tag_names


def hint(**fields: Any) -> Any:
    return SimpleNamespace(**({"title": None, "content": None, "data": None} | fields))


@pytest.mark.parametrize(
    ("hint_type", "data", "value"),
    [
        ("context", {"context": "PHONE"}, "PHONE"),
        ("priority", {"priority": "LOW"}, "LOW"),
        ("duration", {"minutes": 0}, 0),
        ("needs-breakdown", {"needsBreakdown": False}, False),
    ],
)
def test_field_hints_carry_a_valid_value(hint_type: str, data: dict[str, Any], value: Any) -> None:
    assert field_value(hint_type, hint(data=data)) == value


@pytest.mark.parametrize(
    ("hint_type", "data"),
    [
        ("context", {"context": "BEACH"}),
        ("priority", {"priority": "URGENT"}),
        ("duration", {"minutes": -5}),
        ("duration", {"minutes": True}),
        ("needs-breakdown", {"needsBreakdown": "yes"}),
        ("priority", None),
    ],
)
def test_field_hints_with_a_bad_value_are_refused(hint_type: str, data: dict[str, Any] | None) -> None:
    with pytest.raises(HintNotApplicable):
        field_value(hint_type, hint(data=data))


def test_tag_names_merge_known_and_new_ignoring_case_and_blanks() -> None:
    assert tag_names(hint(data={"tags": ["Home", " ", "calls"], "new": ["home", "Errands"]})) == [
        "Home",
        "calls",
        "Errands",
    ]


def test_action_items_drop_blanks() -> None:
    assert action_items(hint(data={"items": ["Call", "", "  Write  "]})) == ["Call", "Write"]


def test_a_summary_is_a_quoted_section_naming_its_source() -> None:
    section = summary_section(hint(title="Page", content="Line one\nLine two", data={"url": "https://e.test"}))
    assert section == "> **Summary: Page**\n>\n> Line one\n> Line two\n>\n> Source: https://e.test"

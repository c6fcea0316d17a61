"""The published event catalogue is the one generated from the schemas."""

from __future__ import annotations

from pathlib import Path

from kanban.contracts.registry import ALL_EVENTS, catalogue

DOCS = Path(__file__).resolve().parents[3] / "docs" / "events.md"


def test_docs_events_md_is_the_generated_catalogue() -> None:
    # Regenerate with: kanban events catalogue --write docs/events.md
    assert DOCS.read_text(encoding="utf-8") == catalogue()


def test_the_catalogue_lists_every_event_type() -> None:
    text = catalogue()
    assert all(f"| `{cls.TYPE}` | {cls.VERSION} |" in text for cls in ALL_EVENTS)

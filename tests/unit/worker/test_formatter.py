"""The formatter proposes the description as clean Markdown, only when that changes it."""

from __future__ import annotations

from kanban.worker.agents.formatter import FormatterAgent
from tests.unit.worker.conftest import context_for, drafts_of, make_task

agent = FormatterAgent()


async def _formatted(description: str) -> str | None:
    drafts = await drafts_of(agent, context_for(make_task("Task", description)))
    return drafts["description"].content if drafts else None


async def test_messy_bullets_numbers_links_and_spacing_become_markdown() -> None:
    messy = (
        "  Packing list for the trip:   \n"
        "* passport\n"
        "•charger\n"
        "+ tickets, see https://example.com/booking/123.\n"
        "\n\n\n"
        "Steps\n"
        "1) check in online\n"
        "3) print boarding pass\n"
        "[ ] water the plants\n"
    )

    assert await _formatted(messy) == (
        "Packing list for the trip:\n"
        "\n"
        "- passport\n"
        "- charger\n"
        "- tickets, see <https://example.com/booking/123>.\n"
        "\n"
        "Steps\n"
        "\n"
        "1. check in online\n"
        "2. print boarding pass\n"
        "- [ ] water the plants"
    )


async def test_existing_links_and_code_blocks_are_left_alone() -> None:
    text = "See [the docs](https://example.com/docs) and <https://example.com/a>.\n\n```\n*  keep   this\n```"

    assert await _formatted(text) is None


async def test_a_tidy_description_gets_no_hint() -> None:
    assert await _formatted("Call the bank.\n\n- ask about fees\n- ask about the card") is None
    assert await _formatted("   ") is None

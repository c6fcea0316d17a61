"""The tagger prefers the board's own tags and invents new ones only when none fits."""

from __future__ import annotations

from kanban.worker.agents.tagger import TaggerAgent
from tests.unit.worker.conftest import context_for, drafts_of, make_task

agent = TaggerAgent()
BOARD = ("Health", "Finances", "work", "errands", "reading")


async def test_board_tags_match_by_word_stem_and_topic() -> None:
    dentist = await drafts_of(agent, context_for(make_task("Book dentist check-up"), BOARD))
    bill = await drafts_of(agent, context_for(make_task("Pay the electricity bill"), BOARD))
    financial = await drafts_of(agent, context_for(make_task("Sort out financial paperwork"), BOARD))
    groceries = await drafts_of(agent, context_for(make_task("Buy groceries for the week"), BOARD))

    assert dentist["tags"].data == {"tags": ["Health"], "new": []}
    assert bill["tags"].data == {"tags": ["Finances"], "new": []}
    assert financial["tags"].data["tags"] == ["Finances"]
    assert groceries["tags"].data["tags"] == ["errands"]


async def test_tags_the_task_already_has_are_never_suggested() -> None:
    task = make_task("Pay the dentist invoice", tags=("health",))

    drafts = await drafts_of(agent, context_for(task, BOARD))

    assert drafts["tags"].data == {"tags": ["Finances"], "new": []}


async def test_a_new_tag_is_proposed_only_when_the_vocabulary_has_nothing_that_fits() -> None:
    # A new tag is for a board with almost no vocabulary yet; a board that has one keeps to it.
    trip = await drafts_of(agent, context_for(make_task("Book hotel for the Lisbon trip"), ("work",)))
    kept = await drafts_of(agent, context_for(make_task("Book hotel for the Lisbon trip"), BOARD))
    nothing = await drafts_of(agent, context_for(make_task("Bananas"), BOARD))

    assert trip["tags"].data == {"tags": [], "new": ["travel"]}
    assert trip["tags"].confidence < 0.8
    assert nothing == {}
    assert kept == {}


async def test_short_tags_do_not_match_inside_longer_words() -> None:
    drafts = await drafts_of(agent, context_for(make_task("Send birthday card to Tom"), ("car",)))

    assert "car" not in (drafts["tags"].data["tags"] if drafts else [])

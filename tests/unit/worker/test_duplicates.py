"""The duplicates agent points at open tasks on the board that ask for the same thing."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from kanban.worker.agents.duplicates import DuplicatesAgent
from kanban.worker.providers.local import similarity
from kanban.worker.providers.local.features import read_task
from tests.unit.worker.conftest import context_for, drafts_of, make_task

agent = DuplicatesAgent()


async def test_a_reworded_task_is_found_and_unrelated_ones_are_not() -> None:
    same = make_task("Book an appointment with the dentist")
    near = make_task("Email Bob about the quarterly report")
    other = make_task("Buy milk")
    task = make_task("Book dentist appointment")

    drafts = await drafts_of(agent, context_for(task, open_tasks=(same, near, other, task)))

    assert drafts["duplicate"].data == {"taskIds": [same.task_id], "titles": [same.title]}
    assert drafts["duplicate"].confidence > 0.6


async def test_similar_looking_tasks_with_a_different_object_are_not_duplicates() -> None:
    task = make_task("Buy milk")
    others = (
        make_task("Buy bread"),
        make_task("Call mom"),
        make_task("Renew car insurance"),
        make_task("Fix login bug"),
    )

    assert await drafts_of(agent, context_for(task, open_tasks=others)) == {}
    assert await drafts_of(agent, context_for(make_task("Fix signup bug"), open_tasks=others)) == {}


async def test_descriptions_help_but_titles_weigh_most() -> None:
    task = make_task("Renew passport", "Photos, old passport and the form from the town hall")
    same = make_task("Passport renewal", "Need new photos and the form; bring the old passport")
    different = make_task("Town hall visit", "Ask about the parking permit form")

    drafts = await drafts_of(agent, context_for(task, open_tasks=(same, different)))

    assert drafts["duplicate"].data["taskIds"] == [same.task_id]


async def test_done_tasks_and_other_boards_are_ignored() -> None:
    task = make_task("Book dentist appointment")
    done = make_task("Book dentist appointment", is_done=True)
    elsewhere = make_task("Book dentist appointment", board_id="board-2")

    assert await drafts_of(agent, context_for(task, open_tasks=(done, elsewhere))) == {}


async def test_two_different_actions_on_one_thing_are_two_steps_not_one_task() -> None:
    task = make_task("Buy a leaving present for Ruth")
    steps = (make_task("Wrap Ruth's leaving present"), make_task("Wash the van"))
    same = make_task("Get Ruth a leaving present")

    assert await drafts_of(agent, context_for(task, open_tasks=steps)) == {}
    assert await drafts_of(agent, context_for(make_task("Move the van off the drive"), open_tasks=steps)) == {}
    found = await drafts_of(agent, context_for(task, open_tasks=(*steps, same)))
    assert found["duplicate"].data["taskIds"] == [same.task_id]


async def test_hiring_a_thing_and_returning_it_are_not_one_task() -> None:
    task = make_task("Hire a pressure washer")

    assert await drafts_of(agent, context_for(task, open_tasks=(make_task("Return the hired pressure washer"),))) == {}


_WORDS = st.text(alphabet="abcdeorz", min_size=1, max_size=9)


# No deadline: a case's time is the machine's (the first reading loads the lemma dictionary).
@settings(deadline=None)
@given(words=st.frozensets(_WORDS, max_size=8), other=st.frozensets(_WORDS, max_size=12))
def test_matching_through_the_grouped_words_finds_what_a_scan_of_every_word_finds(
    words: frozenset[str], other: frozenset[str]
) -> None:
    scanned = frozenset(w for w in words if w in other or any(similarity._near(w, o) for o in other))
    assert similarity._matched(words, other) == scanned


@settings(deadline=None)
@given(
    a=st.lists(_WORDS, min_size=1, max_size=5).map(" ".join),
    b=st.lists(_WORDS, min_size=1, max_size=7).map(" ".join),
)
def test_a_pair_told_apart_by_its_words_alone_is_a_pair_that_shares_nothing(a: str, b: str) -> None:
    first, second = read_task(a, ""), read_task(b, "")
    if similarity._nothing_in_common(first.title_concepts, second):
        assert not similarity._matched(first.title_concepts, second.text_concepts, second.joined)

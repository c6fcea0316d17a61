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


HOUSEHOLD = (
    "home",
    "work",
    "finance",
    "health",
    "family",
    "errands",
    "car",
    "reading",
    "admin",
    "travel",
    "kids",
    "garden",
)


async def tags_of(title: str, description: str | None = None) -> list[str]:
    drafts = await drafts_of(agent, context_for(make_task(title, description=description), HOUSEHOLD))
    return list(drafts["tags"].data["tags"]) if drafts else []


async def test_a_single_weak_word_makes_no_tag() -> None:
    # Words often meant another way count half: a coffee with a friend is no shopping trip.
    assert await tags_of("Coffee with Lukas on Thursday") == []
    assert await tags_of("Wrap the present for Oona") == []
    assert await tags_of("Look at the shares Mira sent") == []
    # Two of them agree, or a strong word backs one up.
    assert await tags_of("Buy coffee and a gift card") == ["errands"]


async def test_two_words_that_name_one_thing_are_read_as_that_thing() -> None:
    assert await tags_of("Drop the letter at the post office") == ["errands"]
    assert "work" not in await tags_of("Clear the desk in the home office")
    assert "car" not in await tags_of("Pay the TV licence")
    assert await tags_of("Sign the slip for the field trip to the zoo") == ["kids"]


async def test_a_verb_is_not_its_noun_and_home_as_a_direction_is_no_topic() -> None:
    assert "work" not in await tags_of("Get the dryer working")
    assert await tags_of("Talk to Ravi about the sleepover") == []
    assert "home" not in await tags_of("Pick up milk on the way home")


async def test_what_the_action_says_depends_on_what_it_is_done_to() -> None:
    # Collecting a child, or giving a thing back to a friend, is not an errand; a shop return is.
    assert "errands" not in await tags_of("Collect Juno from the sleepover")
    assert "errands" not in await tags_of("Return the ladder to Hamid")
    assert "errands" in await tags_of("Return the books to the library")
    # Vacuuming the car is about the car; reading a named book is reading, a report is work.
    assert await tags_of("Vacuum the car boot") == ["car"]
    assert "reading" in await tags_of("Read 'Middlemarch' before the club")
    assert "reading" not in await tags_of("Read the quarterly report from the client")


async def test_confidence_is_higher_with_more_evidence() -> None:
    one = await drafts_of(agent, context_for(make_task("Repot the fern"), HOUSEHOLD))
    more = await drafts_of(agent, context_for(make_task("Prune the hedge and mow the lawn"), HOUSEHOLD))

    assert one["tags"].confidence < more["tags"].confidence < 0.9


async def test_a_title_led_by_a_verb_before_an_article_is_not_about_that_word() -> None:
    # "Oil the hinges" is done with oil; it is no car task. A known verb still says its topic.
    assert "car" not in await tags_of("Oil the hinges on the side door")
    assert await tags_of("Weed the front border") == ["garden"]

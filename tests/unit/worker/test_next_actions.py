"""The next-actions agent turns a description into a checklist of concrete actions."""

from __future__ import annotations

from kanban.worker.agents.next_actions import NextActionsAgent
from tests.unit.worker.conftest import context_for, drafts_of, make_task

agent = NextActionsAgent()


async def test_bulleted_steps_become_actions_without_the_trivial_ones() -> None:
    task = make_task(
        "Plan Sam's birthday party",
        "Things to do:\n* book the venue\n* open browser\n* log in to Evite\n* send invitations to friends\n"
        "• order the cake from Baker's",
    )

    drafts = await drafts_of(agent, context_for(task))

    assert drafts["actions"].data == {
        "items": ["Book the venue", "Send invitations to friends", "Order the cake from Baker's"]
    }
    assert drafts["actions"].agent_id == "next-actions"


async def test_numbered_steps_become_actions() -> None:
    task = make_task("Fix login bug", "1) Reproduce on staging\n2) Write a failing test\n3. Ship the fix")

    drafts = await drafts_of(agent, context_for(task))

    assert drafts["actions"].data["items"] == ["Reproduce on staging", "Write a failing test", "Ship the fix"]


async def test_steps_written_into_a_one_line_title_become_actions() -> None:
    task = make_task("Plan Sam's birthday party: 1) invite friends 2) book the hall 3) order the cake", "")

    drafts = await drafts_of(agent, context_for(task))

    assert drafts["actions"].data["items"] == ["Invite friends", "Book the hall", "Order the cake"]


async def test_a_title_with_one_numbered_thing_proposes_no_steps() -> None:
    task = make_task("Read chapter 2) of the manual", "")

    drafts = await drafts_of(agent, context_for(task))

    assert "actions" not in drafts


async def test_imperative_sentences_in_prose_become_actions() -> None:
    task = make_task(
        "Dentist",
        "The filling came loose. I need to call Dr. Miller's office, then email Sarah the date. "
        "Go to the website first. It was fine last year.",
    )

    drafts = await drafts_of(agent, context_for(task))

    assert drafts["actions"].data["items"] == ["Call Dr. Miller's office", "Email Sarah the date"]


async def test_steps_already_on_the_checklist_are_not_proposed_again() -> None:
    task = make_task(
        "Move flat",
        "- book the van\n- cancel internet\n- forward post",
        checklist=("Book the van", "cancel internet."),
    )

    drafts = await drafts_of(agent, context_for(task))

    assert drafts["actions"].data["items"] == ["Forward post"]


async def test_no_draft_when_nothing_actionable_is_written() -> None:
    quiet = await drafts_of(agent, context_for(make_task("Think about holidays", "It was sunny in Lisbon.")))
    empty = await drafts_of(agent, context_for(make_task("Think about holidays")))
    all_known = await drafts_of(agent, context_for(make_task("Van", "- book the van", checklist=("book the van",))))

    assert quiet == {} and empty == {} and all_known == {}

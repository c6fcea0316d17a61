"""The analyzer proposes context, priority, duration, breakdown and title from the task's words."""

from __future__ import annotations

import uuid
from datetime import timedelta

from kanban.worker.agents.analyzer import AnalyzerAgent
from tests.unit.worker.conftest import NOW, FixedClock, context_for, drafts_of, make_task

agent = AnalyzerAgent(clock=FixedClock())


async def test_a_phone_call_gets_the_phone_context_a_short_duration_and_a_clean_title() -> None:
    task = make_task("TODO: call the dentist to book a check-up!!", "Ask for a morning slot.")

    drafts = await drafts_of(agent, context_for(task))

    assert drafts["context"].data == {"context": "PHONE"}
    assert drafts["duration"].data == {"minutes": 15}
    assert drafts["title"].content == "Call the dentist to book a check-up"
    assert all(d.agent_id == "analyzer" and 0 <= d.confidence <= 1 for d in drafts.values())
    assert all(uuid.UUID(d.draft_id).version == 4 for d in drafts.values())


async def test_contexts_follow_what_the_task_asks_for() -> None:
    cases = {
        "Reply to Anna's email about the lease": "EMAIL",
        "Prepare agenda for Monday's team meeting": "DESK",  # preparing is desk work, whatever it is for
        "Sync with the design team on onboarding": "MEETING",
        "Give the plumber a ring": "PHONE",
        "Read the article on spaced repetition": "READ",
        "Watch https://www.youtube.com/watch?v=dQw4w9WgXcQ": "WATCH",
        "Fill in the tax return spreadsheet": "DESK",
    }
    for title, context in cases.items():
        drafts = await drafts_of(agent, context_for(make_task(title)))
        assert drafts["context"].data == {"context": context}, title


async def test_no_context_is_guessed_from_words_that_say_nothing() -> None:
    drafts = await drafts_of(agent, context_for(make_task("Bananas")))

    assert "context" not in drafts
    # Every task gets a time estimate; without an action to go by it is a guess no board auto-applies.
    assert drafts["duration"].data == {"minutes": 30} and drafts["duration"].confidence < 0.5


async def test_an_explicit_duration_wins_over_the_typical_one() -> None:
    task = make_task("Fix the flaky login test", "Should take about 45 min, maybe 1.5 hours at worst.")

    drafts = await drafts_of(agent, context_for(task))

    assert drafts["duration"].data == {"minutes": 45}
    assert drafts["duration"].confidence > 0.8


async def test_am_and_pm_are_not_mistaken_for_minutes() -> None:
    task = make_task("Pay the electricity bill", "I am at home at 9 am, so do it then.")

    drafts = await drafts_of(agent, context_for(task))

    assert drafts["duration"].data == {"minutes": 10}  # the typical time to pay a bill, not "1 minute"


async def test_priority_comes_from_urgency_words_and_due_dates() -> None:
    urgent = await drafts_of(agent, context_for(make_task("Renew passport ASAP", "Flight is next month")))
    relaxed = await drafts_of(agent, context_for(make_task("Learn Rust", "No rush, someday when I have time")))
    not_urgent = await drafts_of(agent, context_for(make_task("Sort photos", "Not urgent at all")))
    due_soon = await drafts_of(agent, context_for(make_task("Send the report", due_at=NOW + timedelta(hours=20))))
    due_next_week = await drafts_of(agent, context_for(make_task("Send the report", due_at=NOW + timedelta(days=5))))

    assert urgent["priority"].data == {"priority": "HIGH"}
    assert relaxed["priority"].data == {"priority": "LOW"}
    assert not_urgent["priority"].data == {"priority": "LOW"}
    assert due_soon["priority"].data == {"priority": "HIGH"}
    assert due_next_week["priority"].data == {"priority": "MEDIUM"}


async def test_a_task_with_several_listed_steps_needs_breaking_down() -> None:
    task = make_task(
        "Sam's birthday",
        "- book the venue\n- order the cake\n- send invitations\n- buy decorations",
    )

    drafts = await drafts_of(agent, context_for(task))

    assert drafts["needs-breakdown"].data == {"needsBreakdown": True}


async def test_a_single_simple_action_is_not_flagged_for_breakdown() -> None:
    drafts = await drafts_of(agent, context_for(make_task("Buy milk")))

    assert "needs-breakdown" not in drafts


async def test_values_the_task_already_has_are_not_proposed_again() -> None:
    task = make_task(
        "Call mum about Sunday lunch",
        context="PHONE",
        duration_minutes=15,
        priority="HIGH",
        description="Today!",
    )

    drafts = await drafts_of(agent, context_for(task))

    assert not {"context", "duration", "priority"} & drafts.keys()


async def test_a_shouted_title_is_calmed_but_a_fine_title_is_left_alone() -> None:
    shouted = await drafts_of(agent, context_for(make_task("URGENT FIX THE LOGIN BUG")))
    lower = await drafts_of(agent, context_for(make_task("buy milk")))
    fine = await drafts_of(agent, context_for(make_task("Buy oat milk")))

    assert shouted["title"].content == "Fix the login bug"
    assert "title" not in lower  # one capital letter is not worth a hint
    assert "title" not in fine


async def test_reading_an_instrument_is_hands_on_and_a_session_with_a_practitioner_is_a_call() -> None:
    meter = await drafts_of(AnalyzerAgent(), context_for(make_task("Read the water meter")))
    session = await drafts_of(AnalyzerAgent(), context_for(make_task("Book a massage session for Saturday")))

    assert "context" not in meter or meter["context"].data["context"] != "READ"
    assert session["context"].data["context"] == "PHONE"


async def test_checking_something_that_lives_on_a_screen_is_desk_work_and_checking_by_hand_is_not() -> None:
    online = await drafts_of(AnalyzerAgent(), context_for(make_task("Check the hotel prices for May")))
    by_hand = await drafts_of(AnalyzerAgent(), context_for(make_task("Check the oil level")))

    assert online["context"].data["context"] == "DESK"
    assert online["context"].confidence < 0.9
    assert "context" not in by_hand

"""The pipeline runs every agent, isolates failures and reports real progress."""

from __future__ import annotations

import asyncio

import pytest

from kanban.worker.agents.base import AgentReport, new_draft
from kanban.worker.agents.context import AgentContext
from kanban.worker.agents.pipeline import Pipeline, build_pipeline
from kanban.worker.fetching.errors import FetchRefused
from kanban.worker.fetching.page import FetchedPage
from kanban.worker.providers.base import Provider
from kanban.worker.providers.local import LocalProvider
from kanban.worker.providers.openai_compatible import OpenAIProvider
from tests.support.settings import settings_for
from tests.unit.worker.conftest import context_for, make_task


class RefusingFetcher:
    async def fetch(self, url: str) -> FetchedPage:
        raise FetchRefused(f"{url} resolves to 10.0.0.1, a private address")


class Broken:
    agent_id = "broken"

    async def run(self, ctx: AgentContext, provider: Provider) -> AgentReport:
        raise ZeroDivisionError("division by zero")


class Gated:
    """Waits for `wait_for` (when given), then sets `opens` (when given): finishing order without sleeps."""

    def __init__(
        self, agent_id: str, wait_for: asyncio.Event | None = None, opens: asyncio.Event | None = None
    ) -> None:
        self.agent_id = agent_id
        self.wait_for = wait_for
        self.opens = opens

    async def run(self, ctx: AgentContext, provider: Provider) -> AgentReport:
        if self.wait_for is not None:
            await self.wait_for.wait()
        if self.opens is not None:
            self.opens.set()
        return AgentReport(drafts=(new_draft(self.agent_id, "context", 0.5, data={"context": "DESK"}),))


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, int]] = []

    async def __call__(self, stage: str, percent: int) -> None:
        self.calls.append((stage, percent))


async def test_every_default_agent_runs_on_a_realistic_task_with_the_local_provider() -> None:
    task = make_task(
        "todo: call the plumber about the leaking kitchen tap!!",
        "* ask for a quote\n* book a visit for Saturday\n*open browser\nPhotos: https://example.com/tap",
    )
    duplicate = make_task("Call plumber about kitchen tap leak")
    progress = Recorder()

    outcomes = await Pipeline(LocalProvider(), RefusingFetcher()).run(
        context_for(task, ("home", "money"), (duplicate,)), progress
    )

    by_agent = {o.agent_id: o for o in outcomes}
    assert list(by_agent) == ["analyzer", "next-actions", "tagger", "linked-page", "duplicates", "formatter"]
    assert {d.hint_type for d in by_agent["analyzer"].drafts} >= {"context", "title", "priority"}
    assert by_agent["next-actions"].drafts[0].data == {"items": ["Ask for a quote", "Book a visit for Saturday"]}
    assert by_agent["tagger"].drafts[0].data == {"tags": ["home"], "new": []}
    assert by_agent["duplicates"].drafts[0].data["taskIds"] == [duplicate.task_id]
    assert by_agent["formatter"].drafts == ()  # tidier bullets with the same words are not worth a hint
    # A refused link costs only the linked-page hint, with the reason kept for the operator.
    assert by_agent["linked-page"].drafts == () and "private address" in (by_agent["linked-page"].error or "")
    assert all(o.error is None for o in outcomes if o.agent_id != "linked-page")
    assert all(o.provider == "local" and o.duration_ms >= 0 for o in outcomes)
    assert [p for _, p in progress.calls] == [17, 33, 50, 67, 83, 100]


async def test_a_crashing_agent_is_recorded_and_the_others_still_deliver() -> None:
    progress = Recorder()
    early_done = asyncio.Event()
    agents = [Gated("late", wait_for=early_done), Broken(), Gated("early", opens=early_done)]
    pipeline = Pipeline(LocalProvider(), RefusingFetcher(), agents=agents)

    outcomes = await pipeline.run(context_for(make_task("Anything")), progress)

    assert [o.agent_id for o in outcomes] == ["late", "broken", "early"]
    assert outcomes[1].error == "ZeroDivisionError: division by zero" and outcomes[1].drafts == ()
    assert len(outcomes[0].drafts) == 1 and len(outcomes[2].drafts) == 1
    assert [p for _, p in progress.calls] == [33, 67, 100]
    assert progress.calls[-1] == ("late", 100)


async def test_drafts_get_fresh_ids_on_every_run() -> None:
    pipeline = Pipeline(LocalProvider(), RefusingFetcher())
    ctx = context_for(make_task("URGENT: email the landlord about the boiler"))

    first = await pipeline.run(ctx, Recorder())
    second = await pipeline.run(ctx, Recorder())

    ids = [d.draft_id for run in (first, second) for o in run for d in o.drafts]
    assert ids and len(ids) == len(set(ids))


def test_build_pipeline_uses_the_configured_provider() -> None:
    local = build_pipeline(settings_for("worker", None, None, WORKER_DATABASE_URL="sqlite+aiosqlite:///x.db"))
    remote = build_pipeline(
        settings_for(
            "worker",
            None,
            None,
            WORKER_DATABASE_URL="sqlite+aiosqlite:///x.db",
            KANBAN_PROVIDER="openai",
            KANBAN_OPENAI_BASE_URL="http://127.0.0.1:9/v1",
            KANBAN_OPENAI_MODEL="llama3.2",
        )
    )

    assert isinstance(local.provider, LocalProvider)
    assert isinstance(remote.provider, OpenAIProvider)
    assert len(remote.agents) == 6


async def test_no_agents_still_reports_completion() -> None:
    progress = Recorder()

    assert (
        await Pipeline(LocalProvider(), RefusingFetcher(), agents=[]).run(context_for(make_task("x")), progress) == []
    )
    assert progress.calls == [("done", 100)]


class JobCancelled(Exception):
    pass


async def test_a_caller_stopping_from_its_progress_callback_stops_the_remaining_agents() -> None:
    never = asyncio.Event()
    stuck = Gated("stuck", wait_for=never)
    pipeline = Pipeline(LocalProvider(), RefusingFetcher(), agents=[Gated("quick"), stuck])

    async def cancel_job(stage: str, percent: int) -> None:
        raise JobCancelled(stage)

    with pytest.raises(JobCancelled, match="quick"):
        await pipeline.run(context_for(make_task("Anything")), cancel_job)

"""Runs every agent on a task and reports each one's outcome; the job runner's only entry to the agents."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any

from kanban.contracts.events import HintDraft
from kanban.messaging.cancelling import cancel_and_wait
from kanban.settings import Settings
from kanban.worker.agents.analyzer import AnalyzerAgent
from kanban.worker.agents.base import Agent, AgentFailed
from kanban.worker.agents.context import AgentContext
from kanban.worker.agents.duplicates import DuplicatesAgent
from kanban.worker.agents.fingerprints import fingerprint
from kanban.worker.agents.formatter import FormatterAgent
from kanban.worker.agents.linked_page import LinkedPageAgent
from kanban.worker.agents.next_actions import NextActionsAgent
from kanban.worker.agents.tagger import TaggerAgent
from kanban.worker.fetching.fetcher import GuardedFetcher, PageFetcher
from kanban.worker.providers.base import Provider
from kanban.worker.providers.local import LocalProvider
from kanban.worker.providers.openai_compatible import OpenAIProvider

__all__ = ["AgentContext", "AgentOutcome", "Pipeline", "build_pipeline", "default_agents"]

log = logging.getLogger(__name__)
Progress = Callable[[str, int], Awaitable[None]]


@dataclass(frozen=True)
class AgentOutcome:
    agent_id: str
    provider: str
    drafts: tuple[HintDraft, ...]
    error: str | None
    duration_ms: float
    output: dict[str, Any] | None
    # The hint types this agent judged, and the fingerprint of what it read (None: not known).
    hint_types: tuple[str, ...] = ()
    input_key: str | None = None


def hint_types_of(agent: Agent) -> tuple[str, ...]:
    return tuple(getattr(agent, "hint_types", ()))


def input_key(agent: Agent, ctx: AgentContext) -> str:
    """The fingerprint of what the agent reads; an agent that does not say reads the whole task."""
    reads = getattr(agent, "reads", None)
    return fingerprint(reads(ctx) if reads is not None else ctx.task.model_dump(mode="json"))


def default_agents(fetcher: PageFetcher) -> tuple[Agent, ...]:
    return (
        AnalyzerAgent(),
        NextActionsAgent(),
        TaggerAgent(),
        LinkedPageAgent(fetcher),
        DuplicatesAgent(),
        FormatterAgent(),
    )


class Pipeline:
    def __init__(self, provider: Provider, fetcher: PageFetcher, agents: Sequence[Agent] | None = None) -> None:
        self.provider = provider
        self.agents = tuple(agents) if agents is not None else default_agents(fetcher)

    def input_keys(self, ctx: AgentContext) -> dict[str, str]:
        return {agent.agent_id: input_key(agent, ctx) for agent in self.agents}

    @property
    def runs_in_process(self) -> bool:
        """True when the provider answers in this process (`local`): an agent run never waits, it computes."""
        return isinstance(self.provider, LocalProvider)

    def slow_agents(self, ctx: AgentContext) -> frozenset[str]:
        """The agents that would wait on the network for this task (a linked page to fetch)."""
        return frozenset(
            agent.agent_id for agent in self.agents if getattr(agent, "waits_on_network", lambda _: False)(ctx)
        )

    async def run(self, ctx: AgentContext, on_progress: Progress, skip: Collection[str] = ()) -> list[AgentOutcome]:
        """Run the agents side by side (those in `skip` not at all); one failing stops none of the others."""
        agents = [agent for agent in self.agents if agent.agent_id not in skip]
        outcomes: dict[int, AgentOutcome] = {}
        done = 0
        lock = asyncio.Lock()

        async def run_one(index: int, agent: Agent) -> None:
            nonlocal done
            outcome = await self._run_agent(agent, ctx)
            # Under the lock so progress reaches the caller in order, ending at exactly 100.
            async with lock:
                outcomes[index] = outcome
                done += 1
                await on_progress(agent.agent_id, round(100 * done / len(agents)))

        if not agents:
            await on_progress("done", 100)
            return []
        runs = [
            asyncio.create_task(run_one(i, agent), name=f"agent-{agent.agent_id}") for i, agent in enumerate(agents)
        ]
        try:
            await asyncio.gather(*runs)
        except BaseException:
            # The caller stopped us (cancelled, or its progress callback raised): stop the other agents too,
            # and let the caller's own exception through unwrapped.
            await cancel_and_wait(*runs)
            raise
        return [outcomes[index] for index in range(len(agents))]

    async def _run_agent(self, agent: Agent, ctx: AgentContext) -> AgentOutcome:
        started = time.perf_counter()
        try:
            report = await agent.run(ctx, self.provider)
        except AgentFailed as exc:
            return self._outcome(agent, started, error=str(exc))
        except Exception as exc:  # noqa: BLE001 - one agent's bug must not cost the task its other hints
            log.exception("agent %s failed on task %s", agent.agent_id, ctx.task.task_id)
            return self._outcome(agent, started, error=f"{type(exc).__name__}: {exc}")
        return AgentOutcome(
            agent_id=agent.agent_id,
            provider=report.provider or self.provider.name,
            drafts=report.drafts,
            error=None,
            duration_ms=_elapsed_ms(started),
            output=report.output,
            hint_types=hint_types_of(agent),
            input_key=input_key(agent, ctx),
        )

    def _outcome(self, agent: Agent, started: float, error: str) -> AgentOutcome:
        return AgentOutcome(
            agent_id=agent.agent_id,
            provider=self.provider.name,
            drafts=(),
            error=error,
            duration_ms=_elapsed_ms(started),
            output=None,
        )


def build_pipeline(settings: Settings) -> Pipeline:
    """The pipeline the settings ask for: the chosen provider (local behind openai) and a guarded fetcher."""
    local = LocalProvider()
    provider: Provider = local
    if settings.provider.name == "openai":
        provider = OpenAIProvider(settings.provider, fallback=local)
    fetcher = GuardedFetcher(allow_hosts=settings.fetch_allow_hosts, allow_networks=settings.fetch_allow_networks)
    return Pipeline(provider, fetcher)


def _elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)

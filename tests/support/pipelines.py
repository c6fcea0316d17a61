"""A stand-in for the agents' pipeline: same shape, scripted drafts, records what it was asked."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from typing import Any

from kanban.contracts.events import HintDraft
from kanban.db.types import new_id


@dataclass(frozen=True)
class FakeOutcome:
    agent_id: str
    provider: str
    drafts: tuple[HintDraft, ...]
    error: str | None = None
    duration_ms: float = 1.0
    output: Any = None
    hint_types: tuple[str, ...] = ()
    input_key: str | None = None


def draft(hint_type: str, confidence: float = 0.95, **fields: Any) -> HintDraft:
    return HintDraft(
        draft_id=new_id(), agent_id=f"{hint_type}-agent", hint_type=hint_type, confidence=confidence, **fields
    )


@dataclass
class FakePipeline:
    """Proposes `make_drafts(ctx)`; `gate` (when given) holds the run until set; `fail` raises."""

    make_drafts: Callable[[Any], list[HintDraft]] = field(
        default=lambda ctx: [draft("priority", data={"priority": "HIGH"})]
    )
    gate: asyncio.Event | None = None
    fail: Exception | None = None
    started: asyncio.Event = field(default_factory=asyncio.Event)
    seen: list[Any] = field(default_factory=list)
    between: Callable[[Any], Awaitable[None]] | None = None
    # The hint types it judges; by default those it proposes this time.
    hint_types: tuple[str, ...] | None = None
    # Like the `local` provider: the runner then runs a batch's jobs one after another.
    runs_in_process: bool = False

    def input_keys(self, ctx: Any) -> dict[str, str]:
        return {"fake": f"{ctx.task.title}|{ctx.task.description}"}

    def slow_agents(self, ctx: Any) -> frozenset[str]:
        return frozenset()

    async def run(
        self, ctx: Any, on_progress: Callable[[str, int], Awaitable[None]], skip: Collection[str] = ()
    ) -> list[FakeOutcome]:
        self.seen.append(ctx)
        self.started.set()
        await on_progress("agents", 50)
        if self.between is not None:
            await self.between(ctx)
        if self.gate is not None:
            await self.gate.wait()
        if self.fail is not None:
            raise self.fail
        if "fake" in skip:
            return []
        drafts = self.make_drafts(ctx)
        # It judges the types it proposes: a re-run replaces those and leaves any other type alone.
        types = self.hint_types or tuple(dict.fromkeys(d.hint_type for d in drafts))
        key = self.input_keys(ctx)["fake"]
        return [
            FakeOutcome(
                agent_id="fake", provider="local", drafts=tuple(drafts), output={"n": len(drafts)},
                hint_types=types, input_key=key,
            )
        ]  # fmt: skip

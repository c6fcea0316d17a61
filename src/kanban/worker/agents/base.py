"""The agent port, what an agent reports back, and how a draft is made."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any, Protocol

from kanban.contracts.events import HintDraft
from kanban.worker.agents.context import AgentContext
from kanban.worker.providers.base import Provider


@dataclass(frozen=True)
class AgentReport:
    """An agent's drafts, the provider that answered (None when none was asked) and its raw answer."""

    drafts: tuple[HintDraft, ...] = ()
    provider: str | None = None
    output: dict[str, Any] | None = field(default=None)


class Agent(Protocol):
    agent_id: str

    async def run(self, ctx: AgentContext, provider: Provider) -> AgentReport: ...


class AgentFailed(Exception):
    """An agent could not do its work; the pipeline records the message in the agent's outcome."""


def new_draft(
    agent_id: str,
    hint_type: str,
    confidence: float,
    *,
    title: str | None = None,
    content: str | None = None,
    data: dict[str, Any] | None = None,
    untrusted: bool = False,
) -> HintDraft:
    return HintDraft(
        draft_id=str(uuid.uuid4()),
        agent_id=agent_id,
        hint_type=hint_type,
        title=title,
        content=content,
        data=data,
        confidence=round(min(1.0, max(0.0, confidence)), 3),
        untrusted=untrusted,
    )


def changes_words(proposed: str | None, current: str | None) -> bool:
    """Whether a text hint changes the words, not only spacing, case, brackets or punctuation."""
    return _bare(proposed) != _bare(current)


def _bare(text: str | None) -> str:
    return re.sub(r"[\W_]+", "", (text or "").casefold())

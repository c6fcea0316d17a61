"""The correlation and causation ids of the work in progress, carried into every event it records."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from uuid import UUID, uuid4


@dataclass(frozen=True)
class Causality:
    correlation_id: UUID
    causation_id: UUID | None = None


_current: ContextVar[Causality | None] = ContextVar("kanban_causality", default=None)


def current_causality() -> Causality:
    """The causality of the current request or event; a fresh correlation id when there is none."""
    found = _current.get()
    return found if found is not None else Causality(uuid4())


def set_causality(causality: Causality) -> object:
    return _current.set(causality)


def reset_causality(token: object) -> None:
    _current.reset(token)  # type: ignore[arg-type]

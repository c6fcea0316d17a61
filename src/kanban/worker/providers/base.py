"""The provider port: one typed question in, one schema-validated answer out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from pydantic import BaseModel

Req = TypeVar("Req", bound=BaseModel)
Out = TypeVar("Out", bound=BaseModel)


@dataclass(frozen=True)
class ProviderTask(Generic[Req, Out]):
    """A kind of question: its name, what a model is told, and the shapes of question and answer."""

    name: str
    instructions: str
    request: type[Req]
    output: type[Out]


@dataclass(frozen=True)
class Completion(Generic[Out]):
    """An answer and the provider that actually gave it (a fallback names itself here)."""

    output: Out
    provider: str


class Provider(Protocol):
    name: str

    async def complete(self, task: ProviderTask[Req, Out], request: Req) -> Completion[Out]: ...


class ProviderError(Exception):
    """Base of the errors a provider raises."""


class UnknownTask(ProviderError):
    """The provider has no way to answer this kind of question."""

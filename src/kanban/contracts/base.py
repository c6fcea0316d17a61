"""The base class of every event schema and the errors of decoding one."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict


class ContractError(Exception):
    """An envelope could not be turned into a known event."""


class UnknownEventType(ContractError):
    """No schema is registered for the envelope's (type, version)."""


class MalformedEvent(ContractError):
    """The payload does not match the schema of its (type, version)."""


class Event(BaseModel):
    """A frozen fact. Subclasses set TYPE and VERSION; ordering hints tell consumers how to apply it.

    BASELINE: the event carries the whole state, so it may start an aggregate's history.
    TERMINAL: the aggregate is gone; this wins over any update that arrives late.
    ORDERED: consumers apply it in aggregate-version order; unordered events carry no version.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    TYPE: ClassVar[str]
    VERSION: ClassVar[int] = 1
    AGGREGATE: ClassVar[str]
    DESTINATION: ClassVar[str]
    BASELINE: ClassVar[bool] = False
    TERMINAL: ClassVar[bool] = False
    ORDERED: ClassVar[bool] = True

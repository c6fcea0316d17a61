"""Rule requests and responses on the wire (camelCase).

The trigger and each action are discriminated by `type`, so a bad config is a 422 naming the exact
field (`actions.0.move.config.columnId`). The rule engine reads the same models back from storage.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, ValidationInfo, field_validator

from kanban.api.schemas import ApiModel, RequestModel
from kanban.api.templates.rrule import InvalidRecurrence, parse_rrule, parse_timezone
from kanban.contracts.events import Priority, TaskContext

RuleName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
TagName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
ColumnId = Annotated[str, StringConstraints(min_length=1, max_length=36)]

# --- triggers -------------------------------------------------------------------------------

WatchedField = Literal[
    "title", "description", "context", "priority", "dueAt", "durationMinutes", "projectId", "tags",
    "checklist", "waitingFor", "needsBreakdown", "isDone",
]  # fmt: skip


class TaskCreatedConfig(RequestModel):
    column_id: ColumnId | None = None


class TaskMovedConfig(RequestModel):
    from_column_id: ColumnId | None = None
    to_column_id: ColumnId | None = None


class TaskUpdatedConfig(RequestModel):
    fields: list[WatchedField] | None = Field(default=None, min_length=1)


class ScheduleConfig(RequestModel):
    rrule: str = Field(max_length=500)
    timezone: str = "UTC"

    @field_validator("rrule")
    @classmethod
    def _rrule_supported(cls, v: str) -> str:
        try:
            parse_rrule(v)
        except InvalidRecurrence as exc:
            raise ValueError(str(exc)) from None
        return v

    @field_validator("timezone")
    @classmethod
    def _timezone_known(cls, v: str) -> str:
        try:
            parse_timezone(v)
        except InvalidRecurrence as exc:
            raise ValueError(str(exc)) from None
        return v


class TaskCreatedTrigger(RequestModel):
    type: Literal["task.created"]
    config: TaskCreatedConfig | None = None


class TaskMovedTrigger(RequestModel):
    type: Literal["task.moved"]
    config: TaskMovedConfig | None = None


class TaskUpdatedTrigger(RequestModel):
    type: Literal["task.updated"]
    config: TaskUpdatedConfig | None = None


class ScheduleTrigger(RequestModel):
    type: Literal["schedule"]
    config: ScheduleConfig


Trigger = Annotated[
    TaskCreatedTrigger | TaskMovedTrigger | TaskUpdatedTrigger | ScheduleTrigger, Field(discriminator="type")
]

# --- conditions -----------------------------------------------------------------------------

ConditionField = Literal[
    "title", "description", "context", "priority", "columnId", "columnType", "projectId", "tags",
    "dueAt", "durationMinutes", "isDone", "needsBreakdown", "waitingFor", "ageDays",
]  # fmt: skip
Operator = Literal["eq", "neq", "contains", "in", "gt", "lt"]
TEXT_FIELDS = frozenset({"title", "description", "waitingFor", "tags"})
ORDERED_FIELDS = frozenset({"dueAt", "durationMinutes", "ageDays"})


class Condition(RequestModel):
    field: ConditionField
    operator: Operator
    value: Any = None

    @field_validator("value")
    @classmethod
    def _value_fits_operator(cls, v: Any, info: ValidationInfo) -> Any:
        operator, field = info.data.get("operator"), info.data.get("field")
        if operator is None or field is None:
            return v  # the field or operator is already reported
        if operator == "in" and (not isinstance(v, list) or not v):
            raise ValueError("'in' needs a non-empty list")
        if operator == "contains":
            if field not in TEXT_FIELDS:
                raise ValueError(f"'contains' applies to {', '.join(sorted(TEXT_FIELDS))}")
            if not isinstance(v, str) or not v:
                raise ValueError("'contains' needs a non-empty string")
        if operator in ("gt", "lt"):
            if field not in ORDERED_FIELDS:
                raise ValueError(f"'{operator}' applies to {', '.join(sorted(ORDERED_FIELDS))}")
            if isinstance(v, bool) or not isinstance(v, int | float | str):
                raise ValueError(f"'{operator}' needs a number or an ISO date-time")
        if operator in ("eq", "neq") and isinstance(v, list | dict):
            raise ValueError(f"'{operator}' needs a single value")
        return v


# --- actions --------------------------------------------------------------------------------


class MoveConfig(RequestModel):
    column_id: ColumnId


class SetPriorityConfig(RequestModel):
    priority: Priority | None


class SetContextConfig(RequestModel):
    context: TaskContext | None


class TagConfig(RequestModel):
    name: TagName


class SetProjectConfig(RequestModel):
    project_id: str | None


class SetDueConfig(RequestModel):
    in_days: int = Field(ge=0, le=3650)


class NoConfig(RequestModel):
    pass


class MoveAction(RequestModel):
    type: Literal["move"]
    config: MoveConfig


class SetPriorityAction(RequestModel):
    type: Literal["set_priority"]
    config: SetPriorityConfig


class SetContextAction(RequestModel):
    type: Literal["set_context"]
    config: SetContextConfig


class AddTagAction(RequestModel):
    type: Literal["add_tag"]
    config: TagConfig


class RemoveTagAction(RequestModel):
    type: Literal["remove_tag"]
    config: TagConfig


class SetProjectAction(RequestModel):
    type: Literal["set_project"]
    config: SetProjectConfig


class SetDueAction(RequestModel):
    type: Literal["set_due"]
    config: SetDueConfig


class MarkDoneAction(RequestModel):
    type: Literal["mark_done"]
    config: NoConfig = Field(default_factory=NoConfig)


Action = Annotated[
    MoveAction | SetPriorityAction | SetContextAction | AddTagAction | RemoveTagAction | SetProjectAction
    | SetDueAction | MarkDoneAction,
    Field(discriminator="type"),
]  # fmt: skip

# --- rules ----------------------------------------------------------------------------------

Conditions = Annotated[list[Condition], Field(max_length=50)]
Actions = Annotated[list[Action], Field(min_length=1, max_length=50)]
RulePriority = Annotated[int, Field(ge=0, le=10_000, description="Rules run in ascending priority")]


class CreateRuleRequest(RequestModel):
    name: RuleName
    description: str | None = Field(default=None, max_length=20_000)
    enabled: bool = True
    priority: RulePriority = 100
    trigger: Trigger
    conditions: Conditions = Field(default_factory=list)
    actions: Actions


class UpdateRuleRequest(RequestModel):
    """Only the fields given change; trigger, conditions and actions are replaced whole."""

    name: RuleName | None = None
    description: str | None = Field(default=None, max_length=20_000)
    enabled: bool | None = None
    priority: RulePriority | None = None
    trigger: Trigger | None = None
    conditions: Conditions | None = None
    actions: Actions | None = None


class TriggerOut(ApiModel):
    """A stored trigger. Responses are lenient, so a rule imported from the legacy system still reads."""

    type: str
    config: dict[str, Any] | None = None


class ConditionOut(ApiModel):
    field: str
    operator: str
    value: Any = None


class ActionOut(ApiModel):
    type: str
    config: dict[str, Any] | None = None


class RuleResponse(ApiModel):
    id: str
    board_id: str
    name: str
    description: str | None
    enabled: bool
    priority: int = Field(description="Rules run in ascending priority")
    trigger: TriggerOut
    conditions: list[ConditionOut]
    actions: list[ActionOut]
    last_run_at: datetime | None
    created_at: datetime
    updated_at: datetime

"""Rule requests and responses on the wire (camelCase).

The trigger and each action are discriminated by `type`, so a bad config is a 422 naming the exact
field (`actions.0.move.config.columnId`). The rule engine reads the same models back from storage.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, ValidationInfo, field_validator, model_validator

from kanban.api.schemas import ApiModel, RequestModel
from kanban.api.templates.rrule import InvalidRecurrence, parse_rrule, parse_timezone
from kanban.contracts.events import ColumnType, Priority, TaskContext

RuleName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
TagName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
ColumnId = Annotated[str, StringConstraints(min_length=1, max_length=36)]


class NoConfig(RequestModel):
    pass


# --- triggers -------------------------------------------------------------------------------

WatchedField = Literal[
    "title", "description", "context", "priority", "dueAt", "durationMinutes", "projectId", "tags",
    "checklist", "waitingFor", "needsBreakdown", "isDone",
]  # fmt: skip


CaptureSource = Literal["web", "api", "email", "bookmarklet", "share", "mcp", "cli", "import", "template", "rule"]


class TaskCreatedConfig(RequestModel):
    column_id: ColumnId | None = None
    column_type: ColumnType | None = None
    sources: list[CaptureSource] | None = Field(default=None, min_length=1, description="Capture sources to match")


class TaskMovedConfig(RequestModel):
    from_column_id: ColumnId | None = None
    to_column_id: ColumnId | None = None
    from_column_type: ColumnType | None = None
    to_column_type: ColumnType | None = None


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


class DueSoonConfig(RequestModel):
    within_days: int = Field(ge=0, le=365, description="Fires once when the due date is at most this many days away")


class IdleConfig(RequestModel):
    days: int = Field(ge=1, le=3650, description="Fires once when the task has not moved for this many days")
    column_type: ColumnType | None = None
    column_id: ColumnId | None = None


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


class ChecklistCompletedTrigger(RequestModel):
    type: Literal["checklist.completed"]
    config: NoConfig = Field(default_factory=lambda: NoConfig())


class DueSoonTrigger(RequestModel):
    type: Literal["task.due_soon"]
    config: DueSoonConfig


class OverdueTrigger(RequestModel):
    type: Literal["task.overdue"]
    config: NoConfig = Field(default_factory=lambda: NoConfig())


class IdleTrigger(RequestModel):
    type: Literal["task.idle"]
    config: IdleConfig


class ManualTrigger(RequestModel):
    type: Literal["manual"]
    config: NoConfig = Field(default_factory=lambda: NoConfig())


Trigger = Annotated[
    TaskCreatedTrigger | TaskMovedTrigger | TaskUpdatedTrigger | ChecklistCompletedTrigger | DueSoonTrigger
    | OverdueTrigger | IdleTrigger | ScheduleTrigger | ManualTrigger,
    Field(discriminator="type"),
]  # fmt: skip
EVENT_TRIGGERS = frozenset({"task.created", "task.moved", "task.updated", "checklist.completed"})
TIME_TRIGGERS = frozenset({"task.due_soon", "task.overdue", "task.idle", "schedule"})

# --- conditions -----------------------------------------------------------------------------

ConditionField = Literal[
    "title", "description", "context", "priority", "columnId", "columnType", "projectId", "tags",
    "dueAt", "durationMinutes", "isDone", "needsBreakdown", "waitingFor", "ageDays", "source",
    "checklistDone", "stale",
]  # fmt: skip
Operator = Literal["eq", "neq", "contains", "in", "gt", "lt"]
TEXT_FIELDS = frozenset({"title", "description", "waitingFor", "tags"})
ORDERED_FIELDS = frozenset({"dueAt", "durationMinutes", "ageDays"})


class Condition(RequestModel):
    field: ConditionField
    operator: Operator
    # Checked even when left out: `in` or `contains` without a value is a 422, not a rule that never matches.
    value: Any = Field(default=None, validate_default=True)

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


Position = Literal["top", "bottom"]


class MoveConfig(RequestModel):
    column_id: ColumnId
    position: Position = "bottom"


class MoveToTypeConfig(RequestModel):
    column_type: ColumnType
    position: Position = "bottom"


class SetPriorityConfig(RequestModel):
    priority: Priority | None


class SetContextConfig(RequestModel):
    context: TaskContext | None


class TagConfig(RequestModel):
    name: TagName


class SetProjectConfig(RequestModel):
    project_id: str | None


class SetDueConfig(RequestModel):
    in_days: int | None = Field(ge=0, le=3650, description="Days from the run; null clears the due date")


class SetWaitingConfig(RequestModel):
    waiting_for: str | None = Field(default=None, max_length=500)
    follow_up_in_days: int | None = Field(
        default=None, ge=0, le=3650, description="The follow-up date is the task's due date while it waits"
    )


class AddChecklistConfig(RequestModel):
    items: list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]] = Field(
        min_length=1, max_length=50
    )


class CreateTaskConfig(RequestModel):
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)] | None = None
    template_id: str | None = Field(default=None, description="Create the task from this recurring template")
    column_type: ColumnType | None = None
    checklist: list[Annotated[str, StringConstraints(min_length=1, max_length=500)]] = Field(
        default_factory=list, max_length=50
    )

    @model_validator(mode="after")
    def _title_or_template(self) -> CreateTaskConfig:
        if self.template_id is None and not self.title:
            raise ValueError("create_task needs a title or a templateId")
        return self


class AddNoteConfig(RequestModel):
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class NotifyConfig(RequestModel):
    channel: Literal["digest", "webhook"] = Field(
        description="digest: an item in the owner's next daily digest; webhook: a signed POST to `webhookId`"
    )
    webhook_id: str | None = Field(default=None, max_length=36, description="One of GET /webhooks (channel webhook)")
    message: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)] | None = None

    @model_validator(mode="after")
    def _webhook_named(self) -> NotifyConfig:
        if self.channel == "webhook" and not self.webhook_id:
            raise ValueError("a webhook notification needs a webhookId")
        if self.channel == "digest" and self.webhook_id:
            raise ValueError("webhookId belongs to channel 'webhook'")
        return self


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


class MoveToTypeAction(RequestModel):
    type: Literal["move_to_type"]
    config: MoveToTypeConfig


class SetWaitingAction(RequestModel):
    type: Literal["set_waiting"]
    config: SetWaitingConfig


class AddChecklistAction(RequestModel):
    type: Literal["add_checklist"]
    config: AddChecklistConfig


class ArchiveAction(RequestModel):
    type: Literal["archive"]
    config: NoConfig = Field(default_factory=NoConfig)


class CreateTaskAction(RequestModel):
    type: Literal["create_task"]
    config: CreateTaskConfig


class AddNoteAction(RequestModel):
    type: Literal["add_note"]
    config: AddNoteConfig


class RequestAnalysisAction(RequestModel):
    type: Literal["request_analysis"]
    config: NoConfig = Field(default_factory=NoConfig)


class NotifyAction(RequestModel):
    type: Literal["notify"]
    config: NotifyConfig


Action = Annotated[
    MoveAction | MoveToTypeAction | SetPriorityAction | SetContextAction | AddTagAction | RemoveTagAction
    | SetProjectAction | SetDueAction | SetWaitingAction | AddChecklistAction | MarkDoneAction | ArchiveAction
    | CreateTaskAction | AddNoteAction | RequestAnalysisAction | NotifyAction,
    Field(discriminator="type"),
]  # fmt: skip
# Actions that act on the board rather than on the task that triggered the rule.
BOARD_ACTIONS = frozenset({"create_task"})

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


def stored_document(body: CreateRuleRequest | UpdateRuleRequest) -> dict[str, Any]:
    """The JSON a rule is stored as: what was given (no null for every option this version added),
    every trigger and action with a `config` object."""
    given = body.model_dump(by_alias=True, mode="json", exclude_unset=True)
    document: dict[str, Any] = {k: given[k] for k in ("trigger", "conditions", "actions") if k in given}
    if isinstance(body, CreateRuleRequest):
        document.setdefault("conditions", [])
    for condition in document.get("conditions") or []:
        condition.setdefault("value", None)
    for part in [document.get("trigger"), *(document.get("actions") or [])]:
        if isinstance(part, dict):
            part.setdefault("config", {})
    return document


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
    next_run_at: datetime | None = Field(default=None, description="The next occurrence of a schedule trigger")
    disabled_reason: str | None = Field(default=None, description="Why the engine disabled the rule, if it did")
    created_at: datetime
    updated_at: datetime


class RunResponse(ApiModel):
    """One run: when, on which event or occurrence, and what it did or why it did nothing."""

    id: str
    rule_id: str
    created_at: datetime
    status: Literal["applied", "no_match", "refused", "failed", "skipped"]
    trigger_key: str
    event_id: str | None
    event_type: str | None
    task_id: str | None
    occurrence_at: datetime | None
    depth: int = Field(description="1 when a person's change or the clock set it off; n for the n-th rule in a chain")
    changes: list[dict[str, Any]] = Field(default_factory=list)
    reason: str | None = None


class DryRunRequest(RequestModel):
    task_ids: list[str] | None = Field(default=None, max_length=500, description="Default: every task on the board")


class DryRunTask(ApiModel):
    task_id: str
    title: str
    matches: bool
    reason: str | None = None
    changes: list[dict[str, Any]] = Field(default_factory=list)


class DryRunResponse(ApiModel):
    rule_id: str
    board_changes: list[dict[str, Any]] = Field(default_factory=list, description="Tasks the rule would create")
    tasks: list[DryRunTask]


class DraftDryRunRequest(CreateRuleRequest):
    """A whole rule, not saved, to preview on the board's tasks."""

    task_ids: list[str] | None = Field(default=None, max_length=500, description="Default: every task on the board")


class ManualRunRequest(RequestModel):
    task_ids: list[str] = Field(min_length=1, max_length=200)


class ManualRunResult(ApiModel):
    task_id: str
    status: Literal["applied", "no_match", "refused", "failed", "skipped", "duplicate"]
    changes: list[dict[str, Any]] = Field(default_factory=list)
    reason: str | None = None


class ManualRunResponse(ApiModel):
    results: list[ManualRunResult]


class PresetResponse(ApiModel):
    key: str
    name: str
    description: str
    trigger: TriggerOut
    conditions: list[ConditionOut]
    actions: list[ActionOut]

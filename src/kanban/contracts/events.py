"""Every event the two services exchange, frozen and versioned.

Task, board, tag and project events carry the aggregate's whole state after the change
(event-carried state transfer): a consumer that skips a stale event, or applies one after a
gap timed out, still ends with the right state.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from kanban.contracts.base import Event

ColumnType = Literal["INPUT", "CLARIFY", "CONTEXT", "WAITING", "SOMEDAY", "DONE", "ARCHIVE"]
TaskContext = Literal["EMAIL", "MEETING", "PHONE", "READ", "WATCH", "DESK", "OTHER"]
Priority = Literal["LOW", "MEDIUM", "HIGH"]


class _State(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TaskState(_State):
    """What the Worker knows of a task: everything an agent reads."""

    task_id: str
    board_id: str
    owner_id: str
    column_id: str
    column_type: ColumnType
    title: str
    description: str | None = None
    context: TaskContext | None = None
    priority: Priority | None = None
    duration_minutes: int | None = None
    due_at: datetime | None = None
    project_id: str | None = None
    waiting_for: str | None = None
    needs_breakdown: bool = False
    is_done: bool = False
    tags: tuple[str, ...] = ()
    checklist: tuple[str, ...] = ()
    version: int = Field(ge=1)
    updated_at: datetime


class TagState(_State):
    tag_id: str
    board_id: str
    name: str
    color: str | None = None
    version: int = Field(ge=1)


class BoardState(_State):
    board_id: str
    owner_id: str
    name: str
    auto_apply_hints: bool = False
    auto_apply_threshold: float = 0.9
    stale_after_days: int = 7
    version: int = Field(ge=1)


class ProjectState(_State):
    project_id: str
    board_id: str
    name: str
    description: str | None = None
    desired_outcome: str | None = None
    status: str = "active"
    version: int = Field(ge=1)


class HintDraft(_State):
    """One proposal from one agent; `untrusted` marks text that came from a fetched page."""

    draft_id: str
    agent_id: str
    hint_type: str
    title: str | None = None
    content: str | None = None
    data: dict[str, Any] | None = None
    confidence: float = Field(ge=0.0, le=1.0)
    untrusted: bool = False


# --- API -> Worker: the task read model ---------------------------------------------------


class _ToWorker(Event):
    DESTINATION: ClassVar[str] = "worker"


class TaskCreatedV1(_ToWorker):
    TYPE: ClassVar[str] = "task.created"
    AGGREGATE: ClassVar[str] = "task"
    BASELINE: ClassVar[bool] = True
    task: TaskState


class TaskUpdatedV1(_ToWorker):
    TYPE: ClassVar[str] = "task.updated"
    AGGREGATE: ClassVar[str] = "task"
    task: TaskState
    changed_fields: tuple[str, ...]


class TaskMovedV1(_ToWorker):
    TYPE: ClassVar[str] = "task.moved"
    AGGREGATE: ClassVar[str] = "task"
    task: TaskState
    from_column_id: str
    to_column_id: str
    wip_override: bool = False


class TaskSnapshottedV1(_ToWorker):
    """The whole state of an existing task, sent to seed or resynchronise a read model."""

    TYPE: ClassVar[str] = "task.snapshotted"
    AGGREGATE: ClassVar[str] = "task"
    BASELINE: ClassVar[bool] = True
    task: TaskState


class TasksImportedV1(_ToWorker):
    """Tasks that arrived in bulk (an import), announced a batch at a time instead of one event each.

    The Worker records each as it would a `task.created` (snapshot, job, and the task's cursor at
    `version`, so its later events apply in order) and analyses them as background work.
    """

    TYPE: ClassVar[str] = "tasks.imported"
    AGGREGATE: ClassVar[str] = "board"
    ORDERED: ClassVar[bool] = False
    board_id: str
    tasks: tuple[TaskState, ...]


class TaskDeletedV1(_ToWorker):
    TYPE: ClassVar[str] = "task.deleted"
    AGGREGATE: ClassVar[str] = "task"
    TERMINAL: ClassVar[bool] = True
    task_id: str
    board_id: str


class BoardCreatedV1(_ToWorker):
    TYPE: ClassVar[str] = "board.created"
    AGGREGATE: ClassVar[str] = "board"
    BASELINE: ClassVar[bool] = True
    board: BoardState


class BoardUpdatedV1(_ToWorker):
    TYPE: ClassVar[str] = "board.updated"
    AGGREGATE: ClassVar[str] = "board"
    board: BoardState
    changed_fields: tuple[str, ...]


class BoardDeletedV1(_ToWorker):
    TYPE: ClassVar[str] = "board.deleted"
    AGGREGATE: ClassVar[str] = "board"
    TERMINAL: ClassVar[bool] = True
    board_id: str


class TagCreatedV1(_ToWorker):
    TYPE: ClassVar[str] = "tag.created"
    AGGREGATE: ClassVar[str] = "tag"
    BASELINE: ClassVar[bool] = True
    tag: TagState


class TagUpdatedV1(_ToWorker):
    TYPE: ClassVar[str] = "tag.updated"
    AGGREGATE: ClassVar[str] = "tag"
    tag: TagState


class TagDeletedV1(_ToWorker):
    TYPE: ClassVar[str] = "tag.deleted"
    AGGREGATE: ClassVar[str] = "tag"
    TERMINAL: ClassVar[bool] = True
    tag_id: str
    board_id: str


class ProjectCreatedV1(_ToWorker):
    TYPE: ClassVar[str] = "project.created"
    AGGREGATE: ClassVar[str] = "project"
    BASELINE: ClassVar[bool] = True
    project: ProjectState


class ProjectUpdatedV1(_ToWorker):
    TYPE: ClassVar[str] = "project.updated"
    AGGREGATE: ClassVar[str] = "project"
    project: ProjectState


class ProjectDeletedV1(_ToWorker):
    TYPE: ClassVar[str] = "project.deleted"
    AGGREGATE: ClassVar[str] = "project"
    TERMINAL: ClassVar[bool] = True
    project_id: str
    board_id: str


class UserDeletedV1(_ToWorker):
    """An account was deleted with everything in it: the Worker drops what it holds of these boards."""

    TYPE: ClassVar[str] = "user.deleted"
    AGGREGATE: ClassVar[str] = "user"
    ORDERED: ClassVar[bool] = False
    user_id: str
    board_ids: tuple[str, ...]


# --- API -> Worker: commands about analysis and acknowledgements --------------------------


class AnalysisRequestedV1(_ToWorker):
    """The owner asked to run the agents on a task again."""

    TYPE: ClassVar[str] = "analysis.requested"
    AGGREGATE: ClassVar[str] = "analysis"
    ORDERED: ClassVar[bool] = False
    task_id: str
    reason: str = "rerun"


class AnalysisCancelledV1(_ToWorker):
    """The owner asked to stop any queued or running analysis of a task."""

    TYPE: ClassVar[str] = "analysis.cancelled"
    AGGREGATE: ClassVar[str] = "analysis"
    ORDERED: ClassVar[bool] = False
    task_id: str


class HintsSyncedV1(_ToWorker):
    """The API stored these drafts as hints; the Worker may mark them synced."""

    TYPE: ClassVar[str] = "hints.synced"
    AGGREGATE: ClassVar[str] = "analysis"
    ORDERED: ClassVar[bool] = False
    task_id: str
    draft_ids: tuple[str, ...]


# --- Worker -> API ------------------------------------------------------------------------


class _ToApi(Event):
    DESTINATION: ClassVar[str] = "api"


class HintsProposedV1(_ToApi):
    TYPE: ClassVar[str] = "hints.proposed"
    AGGREGATE: ClassVar[str] = "analysis"
    ORDERED: ClassVar[bool] = False
    task_id: str
    board_id: str
    job_id: str
    task_version: int
    drafts: tuple[HintDraft, ...]


class HintsProposedV2(_ToApi):
    """One analysis of a task: its drafts, and which hint types it judged, so a new analysis replaces the last.

    `analysed_types` are the hint types whose agents ran to the end: a current proposal of such a
    type that has no new draft is withdrawn, one of a type not analysed stays. `basis` identifies the
    task content the agents read (title and description), so a value the owner already dismissed or
    applied for that content is not proposed again. Sent even without drafts: the task is analysed.
    """

    TYPE: ClassVar[str] = "hints.proposed"
    VERSION: ClassVar[int] = 2
    AGGREGATE: ClassVar[str] = "analysis"
    ORDERED: ClassVar[bool] = False
    task_id: str
    board_id: str
    job_id: str
    task_version: int
    basis: str
    analysed_types: tuple[str, ...]
    drafts: tuple[HintDraft, ...]
    failed_agents: dict[str, str] = Field(default_factory=dict)


class AgentProgressV1(_ToApi):
    TYPE: ClassVar[str] = "agent.progress"
    AGGREGATE: ClassVar[str] = "analysis"
    ORDERED: ClassVar[bool] = False
    task_id: str
    board_id: str
    job_id: str
    stage: str
    percent: int = Field(ge=0, le=100)
    status: Literal["queued", "running", "succeeded", "failed", "cancelled"]


class AnalysisFailedV1(_ToApi):
    TYPE: ClassVar[str] = "analysis.failed"
    AGGREGATE: ClassVar[str] = "analysis"
    ORDERED: ClassVar[bool] = False
    task_id: str
    board_id: str
    job_id: str
    error: str

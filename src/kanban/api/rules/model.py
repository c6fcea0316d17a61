"""The rule engine's pure core: does a trigger match, do the conditions hold, what would the actions change.

No I/O: the engine reads the task and the board, asks these functions, then applies the plan
through the same task commands a person uses. A field the task does not have (or a shape this
version does not know) is "no match", never an error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from kanban.api.rules.legacy import normalize_document
from kanban.api.tasks.rules import is_stale

# Rules that act on a task chain at most this deep: a person's change is depth 0.
MAX_CHAIN_DEPTH = 3
# Failed runs in a row after which a rule is disabled, with the last error as the reason.
MAX_FAILURES = 5


@dataclass(frozen=True)
class TaskView:
    """What conditions and actions read of a task (camelCase names, as conditions spell them)."""

    id: str
    board_id: str
    owner_id: str
    column_id: str
    column_type: str
    title: str
    description: str | None
    context: str | None
    priority: str | None
    project_id: str | None
    tags: tuple[str, ...]
    due_at: datetime | None
    duration_minutes: int | None
    is_done: bool
    needs_breakdown: bool
    waiting_for: str | None
    created_at: datetime
    last_moved_at: datetime
    position: int
    source: str | None
    checklist_total: int
    checklist_done: int
    stale_after_days: int = 7

    def value(self, name: str, now: datetime) -> Any:
        """The condition field `name`; None when the task has no such value."""
        match name:
            case "columnId":
                return self.column_id
            case "columnType":
                return self.column_type
            case "projectId":
                return self.project_id
            case "dueAt":
                return self.due_at
            case "durationMinutes":
                return self.duration_minutes
            case "isDone":
                return self.is_done
            case "needsBreakdown":
                return self.needs_breakdown
            case "waitingFor":
                return self.waiting_for
            case "ageDays":
                return (now - self.created_at).total_seconds() / 86400
            case "checklistDone":
                return self.checklist_total > 0 and self.checklist_done == self.checklist_total
            case "stale":
                return is_stale(self.last_moved_at, self.column_type, self.stale_after_days, now)
            case "tags":
                return list(self.tags)
            case "title" | "description" | "context" | "priority" | "source":
                return getattr(self, name)
        return None


@dataclass(frozen=True)
class RuleSpec:
    """A stored rule, its documents normalised (legacy shapes translated) for the engine."""

    id: str
    board_id: str
    owner_id: str
    name: str
    priority: int
    trigger: dict[str, Any]
    conditions: list[dict[str, Any]]
    actions: list[dict[str, Any]]

    @classmethod
    def from_row(cls, row: Any) -> RuleSpec:
        m = row._mapping
        trigger, conditions, actions = normalize_document(m["trigger"], m["conditions"], m["actions"])
        return cls(m["id"], m["board_id"], m["owner_id"], m["name"], m["priority"], trigger, conditions, actions)

    @property
    def trigger_type(self) -> str:
        return str(self.trigger.get("type"))

    @property
    def config(self) -> dict[str, Any]:
        return dict(self.trigger.get("config") or {})


@dataclass(frozen=True)
class TaskEventFacts:
    """What a task event says happened, as triggers read it."""

    kind: str  # created | moved | updated
    changed_fields: frozenset[str] = frozenset()
    from_column_id: str | None = None
    from_column_type: str | None = None
    to_column_id: str | None = None
    to_column_type: str | None = None
    checklist_completed: bool = False


WATCHED_TO_CHANGED = {
    "title": "title", "description": "description", "context": "context", "priority": "priority",
    "dueAt": "due_at", "durationMinutes": "duration_minutes", "projectId": "project_id", "tags": "tags",
    "checklist": "checklist", "waitingFor": "waiting_for", "needsBreakdown": "needs_breakdown", "isDone": "is_done",
}  # fmt: skip


def trigger_matches(rule: RuleSpec, facts: TaskEventFacts, task: TaskView) -> bool:
    """Whether this event fires the rule's (event) trigger; unknown configs never match."""
    config = rule.config
    match rule.trigger_type:
        case "task.created":
            if facts.kind != "created":
                return False
            sources = config.get("sources")
            return (
                _same(config.get("columnId"), facts.to_column_id)
                and _same(config.get("columnType"), facts.to_column_type)
                and (not sources or task.source in sources)
            )
        case "task.moved":
            if facts.kind != "moved":
                return False
            return (
                _same(config.get("fromColumnId"), facts.from_column_id)
                and _same(config.get("toColumnId"), facts.to_column_id)
                and _same(config.get("fromColumnType"), facts.from_column_type)
                and _same(config.get("toColumnType"), facts.to_column_type)
            )
        case "task.updated":
            if facts.kind == "created":
                return False
            watched = config.get("fields")
            if not watched:
                return bool(facts.changed_fields - {"position"})
            return any(WATCHED_TO_CHANGED.get(name) in facts.changed_fields for name in watched) or (
                "isDone" in watched and "completed_at" in facts.changed_fields
            )
        case "checklist.completed":
            return facts.checklist_completed
    return False


def _same(wanted: Any, actual: Any) -> bool:
    return wanted is None or wanted == actual


def condition_holds(condition: dict[str, Any], task: TaskView, now: datetime) -> bool:
    """One condition; a missing value, an unknown field or operator is "no match"."""
    name, operator, wanted = condition.get("field"), condition.get("operator"), condition.get("value")
    actual = task.value(str(name), now)
    if wanted is None and operator in ("eq", "neq"):
        empty = actual is None or actual == [] or actual == ""
        return empty if operator == "eq" else not empty
    if actual is None:
        return False
    if isinstance(actual, list):  # tags: any tag satisfies it, case-insensitively
        names = [t.lower() for t in actual]
        match operator:
            case "eq" | "contains":
                return (
                    str(wanted).lower() in names if operator == "eq" else any(str(wanted).lower() in n for n in names)
                )
            case "neq":
                return str(wanted).lower() not in names
            case "in":
                return isinstance(wanted, list) and any(str(w).lower() in names for w in wanted)
        return False
    match operator:
        case "eq":
            return bool(actual == wanted)
        case "neq":
            return bool(actual != wanted)
        case "in":
            return isinstance(wanted, list) and actual in wanted
        case "contains":
            return isinstance(actual, str) and isinstance(wanted, str) and wanted.lower() in actual.lower()
        case "gt" | "lt":
            return _compare(actual, wanted, operator, now)
    return False


def _compare(actual: Any, wanted: Any, operator: str, now: datetime) -> bool:
    if isinstance(actual, datetime):
        if isinstance(wanted, int | float) and not isinstance(wanted, bool):
            other = now + timedelta(days=wanted)  # "dueAt lt 2": due within two days from now
        else:
            try:
                other = datetime.fromisoformat(str(wanted))
            except ValueError:
                return False
            if other.tzinfo is None:
                return False
        return actual > other if operator == "gt" else actual < other
    if isinstance(actual, int | float) and isinstance(wanted, int | float) and not isinstance(wanted, bool):
        return actual > wanted if operator == "gt" else actual < wanted
    return False


def conditions_hold(rule: RuleSpec, task: TaskView, now: datetime) -> str | None:
    """None when every condition holds, else which one did not (the run log's reason)."""
    for i, condition in enumerate(rule.conditions):
        if not condition_holds(condition, task, now):
            return f"condition {i} ({condition.get('field')} {condition.get('operator')} {condition.get('value')!r}) did not hold"
    return None


# --- planning ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    id: str
    name: str
    type: str
    position: int
    wip_limit: int | None
    count: int = 0


@dataclass
class Plan:
    """What a rule's actions would do to one task: field values, a place, extra steps; nothing applied yet."""

    fields: dict[str, Any] = field(default_factory=dict)  # snake_case task fields -> new value
    tags: list[str] | None = None
    column: Column | None = None
    position: int | None = None
    checklist: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    analysis: bool = False
    notifications: list[dict[str, Any]] = field(default_factory=list)  # notify configs: digest item or webhook
    creates: list[dict[str, Any]] = field(default_factory=list)
    changes: list[dict[str, Any]] = field(default_factory=list)  # what the run log and dry-run show

    @property
    def empty(self) -> bool:
        return not (self.fields or self.tags is not None or self.column or self.position is not None
                    or self.checklist or self.notes or self.analysis or self.notifications
                    or self.creates)  # fmt: skip


class CannotPlan(ValueError):
    """An action this rule cannot carry out here (an unknown action, a column type the board lacks)."""


def first_of_type(columns: list[Column], column_type: str) -> Column:
    for column in sorted(columns, key=lambda c: c.position):
        if column.type == column_type:
            return column
    raise CannotPlan(f"the board has no {column_type} column")


def plan_actions(rule: RuleSpec, task: TaskView | None, columns: list[Column], now: datetime) -> Plan:
    """The plan of every action; `task` is None for a scheduled rule's board-level actions only."""
    plan = Plan()
    tags = list(task.tags) if task else []
    for action in rule.actions:
        kind, config = action.get("type"), dict(action.get("config") or {})
        if kind == "create_task":
            plan.creates.append(config)
            plan.changes.append({"action": kind, "title": config.get("title"), "templateId": config.get("templateId")})
            continue
        if task is None:
            continue
        match kind:
            case "move" | "move_to_type" | "mark_done" | "archive":
                _plan_move(plan, kind, config, task, columns)
            case "add_tag" | "remove_tag":
                name = str(config.get("name", "")).strip()
                present = [t for t in tags if t.lower() == name.lower()]
                if kind == "add_tag" and not present and name:
                    tags.append(name)
                    plan.tags = list(tags)
                    plan.changes.append({"action": kind, "tag": name})
                elif kind == "remove_tag" and present:
                    tags = [t for t in tags if t.lower() != name.lower()]
                    plan.tags = list(tags)
                    plan.changes.append({"action": kind, "tag": name})
            case "set_context" | "set_priority" | "set_project":
                key = {"set_context": "context", "set_priority": "priority", "set_project": "projectId"}[kind]
                _plan_field(plan, task, _snake(key), config.get(key))
            case "set_due":
                days = config.get("inDays")
                _plan_field(plan, task, "due_at", None if days is None else now + timedelta(days=int(days)))
            case "set_waiting":
                if "waitingFor" in config:
                    _plan_field(plan, task, "waiting_for", config.get("waitingFor"))
                if config.get("followUpInDays") is not None:
                    _plan_field(plan, task, "due_at", now + timedelta(days=int(config["followUpInDays"])))
            case "add_checklist":
                items = [str(i) for i in config.get("items") or []]
                plan.checklist += items
                plan.changes.append({"action": kind, "items": items})
            case "add_note":
                plan.notes.append(str(config.get("text", "")))
                plan.changes.append({"action": kind, "text": config.get("text")})
            case "request_analysis":
                plan.analysis = True
                plan.changes.append({"action": kind})
            case "notify":
                if config.get("channel") not in ("digest", "webhook"):
                    raise CannotPlan(f"notify: unknown channel {config.get('channel')!r} (digest or webhook)")
                plan.notifications.append(config)
                plan.changes.append({"action": kind, **config})
            case _:
                raise CannotPlan(f"unknown action '{kind}'")
    return _net(plan, task)


def _net(plan: Plan, task: TaskView | None) -> Plan:
    """Only what the actions change in the end: removing then adding a tag, or setting a value back, is nothing."""
    if task is None:
        return plan
    plan.fields = {k: v for k, v in plan.fields.items() if getattr(task, k) != v}
    if plan.tags is not None and sorted(t.lower() for t in plan.tags) == sorted(t.lower() for t in task.tags):
        plan.tags = None
    kept = [c for c in plan.changes if "field" not in c and c.get("action") not in ("add_tag", "remove_tag")]
    fields = [{"field": _camel(k), "old": _json(getattr(task, k)), "new": _json(v)} for k, v in plan.fields.items()]
    tags = [] if plan.tags is None else [{"field": "tags", "old": list(task.tags), "new": plan.tags}]
    plan.changes = fields + tags + kept
    return plan


def _plan_field(plan: Plan, task: TaskView, name: str, value: Any) -> None:
    old = plan.fields.get(name, getattr(task, name))
    if old != value:
        plan.fields[name] = value
        plan.changes.append({"field": _camel(name), "old": _json(old), "new": _json(value)})


def _plan_move(plan: Plan, kind: str, config: dict[str, Any], task: TaskView, columns: list[Column]) -> None:
    if kind == "move":
        target = next((c for c in columns if c.id == config.get("columnId")), None)
        if target is None:
            raise CannotPlan(f"column {config.get('columnId')} is no longer on the board")
    else:
        wanted = {"mark_done": "DONE", "archive": "ARCHIVE"}.get(kind) or str(config.get("columnType"))
        if kind != "move_to_type" and task.column_type == wanted:
            return  # already done or archived
        target = first_of_type(columns, wanted)
    top = config.get("position") == "top"
    if target.id == task.column_id and (not top or task.position == 0):
        return
    plan.column, plan.position = target, 0 if top else None
    plan.changes.append(
        {"action": "move", "from": task.column_id, "to": target.id, "toName": target.name,
         "position": "top" if top else "bottom"}
    )  # fmt: skip


def wip_refusal(plan: Plan, task: TaskView) -> str | None:
    """Why the plan's move would break its column's WIP limit (a rule never overrides one), or None."""
    target = plan.column
    if target is None or target.id == task.column_id or target.wip_limit is None:
        return None
    if target.count >= target.wip_limit:
        return f"refused by WIP: column '{target.name}' holds {target.count} of {target.wip_limit} tasks"
    return None


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value

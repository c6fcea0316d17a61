"""Rules in words for people: what sets a rule off, what it does, and what one of its runs changed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kanban.ui.rule_vocabulary import COLUMN_TYPE_LABELS, CONDITION_FIELDS, KIND_LABELS, OPERATORS, vocabulary

WEEKDAYS = {"MO": "Monday", "TU": "Tuesday", "WE": "Wednesday", "TH": "Thursday", "FR": "Friday",
            "SA": "Saturday", "SU": "Sunday"}  # fmt: skip


def _column(value: Any, names: Mapping[str, str]) -> str:
    return f"“{names.get(str(value), 'a removed column')}”"


def _type(value: Any) -> str:
    return COLUMN_TYPE_LABELS.get(str(value), str(value))


def _schedule(config: Mapping[str, Any]) -> str:
    """An RRULE of the supported subset in words; anything unusual is shown as written."""
    parts = dict(p.partition("=")[::2] for p in str(config.get("rrule", "")).upper().split(";") if "=" in p)
    freq = {"DAILY": "Every day", "WEEKLY": "Every week", "MONTHLY": "Every month"}.get(parts.get("FREQ", ""))
    if freq is None or set(parts) - {"FREQ", "BYDAY", "BYHOUR", "BYMINUTE", "BYMONTHDAY"}:
        return f"On the schedule {config.get('rrule')} ({config.get('timezone', 'UTC')})"
    days = [WEEKDAYS.get(d) for d in parts.get("BYDAY", "").split(",") if d]
    if days and all(days):
        freq = "Every " + ", ".join(d for d in days if d)
    elif parts.get("BYMONTHDAY"):
        freq += f" on day {parts['BYMONTHDAY']}"
    hour, minute = parts.get("BYHOUR", "").split(",")[0], parts.get("BYMINUTE", "0").split(",")[0]
    at = f" at {int(hour):02d}:{int(minute):02d}" if hour.isdigit() and minute.isdigit() else ""
    return f"{freq}{at} ({config.get('timezone', 'UTC')})"


def trigger_words(trigger: Mapping[str, Any], names: Mapping[str, str]) -> str:
    """What sets the rule off, e.g. "A task is moved to “Waiting for”" or "Every Friday at 16:00 (UTC)"."""
    kind, config = str(trigger.get("type")), dict(trigger.get("config") or {})
    if kind == "schedule":
        return _schedule(config)
    words = [KIND_LABELS.get(kind, f"Unknown trigger “{kind}”")]
    for key, prefix in (("fromColumnId", "from"), ("toColumnId", "to"), ("columnId", "in")):
        if config.get(key):
            words.append(f"{prefix} {_column(config[key], names)}")
    for key, prefix in (("fromColumnType", "from"), ("toColumnType", "to"), ("columnType", "in")):
        if config.get(key):
            words.append(f"{prefix} {_type(config[key])}")
    if config.get("sources"):
        words.append("from " + " or ".join(config["sources"]))
    if config.get("fields"):
        words.append("(" + ", ".join(config["fields"]) + ")")
    if "withinDays" in config:
        words.append(f"(within {config['withinDays']} days)")
    if "days" in config:
        words.append(f"({config['days']} days)")
    return " ".join(words)


def condition_words(condition: Mapping[str, Any], names: Mapping[str, str]) -> str:
    """One condition, e.g. "column type is Waiting for" or "title contains call"."""
    name, value = str(condition.get("field")), condition.get("value")
    label, kind = CONDITION_FIELDS.get(name, (name, "text"))
    values = value if isinstance(value, list) else [value]
    shown = [_type(v) if kind == "columnType" else names.get(str(v), str(v)) if kind == "column" else str(v)
             for v in values]  # fmt: skip
    words = "empty" if value is None else ", ".join(shown)
    return f"{label.split(' (')[0].lower()} {OPERATORS.get(str(condition.get('operator')), condition.get('operator'))} {words}"


def action_words(action: Mapping[str, Any], names: Mapping[str, str]) -> str:
    kind, config = str(action.get("type")), dict(action.get("config") or {})
    label = KIND_LABELS.get(kind, kind)
    details = []
    known = vocabulary().action(kind)
    order = [f.name for f in known.fields] if known else []
    # In the order the API declares the fields: a database may give a document's keys back in any order.
    for key, value in sorted(config.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order)):
        if key == "columnId":
            details.append(_column(value, names))
        elif key == "columnType":
            details.append(_type(value))
        elif isinstance(value, list):
            details.append(", ".join(map(str, value)) if len(value) < 3 else f"{len(value)} items")
        elif key not in ("projectId", "templateId"):
            details.append("none" if value is None else str(value))
    return f"{label}: {', '.join(details)}" if details else label


def change_words(change: Mapping[str, Any]) -> str:
    """One entry of a run's or a preview's `changes`, e.g. "moved to “Next actions” (top)"."""
    if "error" in change:
        return str(change["error"])
    if "field" in change:
        old, new = ("—" if v in (None, []) else ", ".join(map(str, v)) if isinstance(v, list) else str(v)
                    for v in (change.get("old"), change.get("new")))  # fmt: skip
        return f"{change['field']}: {old} → {new}"
    action = str(change.get("action"))
    if action == "move":
        return f"moved to “{change.get('toName')}” ({change.get('position')})"
    if action == "create_task":
        return f"creates “{change.get('title') or 'a task from a template'}”"
    if action == "add_checklist":
        return "checklist + " + ", ".join(map(str, change.get("items") or []))
    if action == "add_note":
        return f"note: {change.get('text')}"
    return KIND_LABELS.get(action, action)

"""Rules written in the legacy system's vocabulary, translated on read so that migrated rules run.

The legacy system stored a `schedule` trigger as a cron line and a move as `{"to": <column type>}`;
`kanban migrate split` copies them unchanged. A shape with no translation stays as it is and the
engine reports it (an unknown trigger never fires; an unknown action fails the run, visibly).
"""

from __future__ import annotations

from typing import Any

from kanban.api.tasks.rules import COLUMN_TYPES

CRON_DAYS = ("SU", "MO", "TU", "WE", "TH", "FR", "SA")


class UntranslatableCron(ValueError):
    pass


def cron_to_rrule(cron: str) -> str:
    """The RRULE of a simple cron line: `M H * * *` daily, `M H * * D[,D]` weekly, `M H d * *` monthly."""
    parts = cron.split()
    if len(parts) != 5:
        raise UntranslatableCron(f"cron '{cron}' does not have five fields")
    minute, hour, day, month, weekday = parts
    if not (minute.isdigit() and hour.isdigit()) or month != "*":
        raise UntranslatableCron(f"cron '{cron}' has no RRULE equivalent in the supported subset")
    at = f"BYHOUR={int(hour)};BYMINUTE={int(minute)}"
    if day == "*" and weekday == "*":
        return f"FREQ=DAILY;{at}"
    if day == "*":
        try:
            days = ",".join(CRON_DAYS[int(d) % 7] for d in weekday.split(","))
        except ValueError:
            raise UntranslatableCron(f"cron '{cron}' has an unsupported weekday field") from None
        return f"FREQ=WEEKLY;BYDAY={days};{at}"
    if weekday == "*" and day.isdigit():
        return f"FREQ=MONTHLY;BYMONTHDAY={int(day)};{at}"
    raise UntranslatableCron(f"cron '{cron}' has no RRULE equivalent in the supported subset")


def normalize_document(
    trigger: Any, conditions: Any, actions: Any
) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    trigger = dict(trigger) if isinstance(trigger, dict) else {}
    config = dict(trigger.get("config") or {})
    if trigger.get("type") == "schedule" and "cron" in config and "rrule" not in config:
        try:
            trigger["config"] = {"rrule": cron_to_rrule(str(config["cron"])), "timezone": config.get("timezone", "UTC")}
        except UntranslatableCron:
            trigger = {"type": "untranslatable", "config": config}
    conditions = [dict(c) for c in conditions if isinstance(c, dict)] if isinstance(conditions, list) else []
    out: list[dict[str, Any]] = []
    for action in actions if isinstance(actions, list) else []:
        if not isinstance(action, dict):
            continue
        action_config = dict(action.get("config") or {})
        if action.get("type") == "move" and "to" in action_config and "columnId" not in action_config:
            to = str(action_config["to"])
            action = (
                {"type": "move_to_type", "config": {"columnType": to}}
                if to in COLUMN_TYPES
                else {"type": "move", "config": {"columnId": to}}
            )
        out.append(action)
    return trigger, conditions, out

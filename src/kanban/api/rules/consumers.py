"""The API's own task events, as the rule engine consumes them (inside its inbox's transaction).

They come from every path that changes a task (routes, clarify, hints, templates, capture, rules),
delivered to the `api_rules` inbox in the transaction that recorded them, when the task's board has
an enabled rule at that moment (ADR "Own events enter the rules inbox only where a rule can act").
"""

from __future__ import annotations

from kanban.api.realtime.hub import RealtimeHub
from kanban.api.rules import repository as repo
from kanban.api.rules.engine import on_task_event
from kanban.contracts import events as ev
from kanban.contracts.base import Event
from kanban.contracts.envelope import Envelope
from kanban.messaging.inbox import Admission, Handler
from kanban.messaging.unit_of_work import UnitOfWork

RULES_CONSUMER = "api_rules"


def _board_of(envelope: Envelope) -> str:
    return str(envelope.payload["task"]["board_id"])


# Whether the rule engine is given an event: its board has an enabled rule, as the recording INSERT
# sees it. Evaluated in that statement, so a rule committed before an event is recorded gets that
# event, on every replica, with no cache to invalidate.
RULES_MAY_ACT = Admission(key=_board_of, condition=repo.board_has_enabled_rule)


def rule_event_handlers(realtime: RealtimeHub) -> dict[str, Handler]:
    async def task_changed(event: Event, envelope: Envelope, uow: UnitOfWork) -> None:
        await on_task_event(event, envelope, uow, realtime.publish_task_changes)

    return {cls.TYPE: task_changed for cls in (ev.TaskCreatedV1, ev.TaskUpdatedV1, ev.TaskMovedV1)}

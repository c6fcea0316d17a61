"""Recurring templates come due: each occurrence creates its task through the normal task path.

One scheduler is active per API database (a lease, like the relay). An occurrence is claimed by
moving the template's `next_run_at` forward in the same transaction that creates the task, so a
crash or a second replica can neither lose nor double an occurrence.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from kanban.api.errors import DomainError
from kanban.api.tables import recurring_templates
from kanban.api.tasks.handlers import CreateTask, add_task
from kanban.api.tasks.schemas import CreateTaskRequest
from kanban.api.templates.rrule import next_occurrence
from kanban.db.async_core import AsyncEngine
from kanban.db.engine import read_only_connection
from kanban.db.types import utcnow
from kanban.messaging.lease import Lease, run_rounds_while_leased
from kanban.messaging.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)
TASK_FIELDS = (
    "title", "description", "context", "column_id", "project_id", "tags", "priority", "duration_minutes",
    "needs_breakdown", "metadata",
)  # fmt: skip


@dataclass(frozen=True)
class SchedulerConfig:
    poll_seconds: float = 30.0
    batch_size: int = 50


def occurrence_request(payload: dict[str, object]) -> CreateTaskRequest:
    """The create request an occurrence makes; payloads are stored camelCase, as the API takes them."""
    fields = {name: payload.get(name, payload.get(_camel(name))) for name in TASK_FIELDS}
    return CreateTaskRequest.model_validate({k: v for k, v in fields.items() if v is not None})


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


async def run_due_templates(
    engine: AsyncEngine, new_unit_of_work: Callable[[], UnitOfWork], now: datetime | None = None
) -> int:
    """Create the task of every occurrence due by `now`; returns how many were created."""
    now = now or utcnow()
    t = recurring_templates
    async with read_only_connection(engine) as conn:
        due = list(
            (
                await conn.execute(
                    select(t.c.id).where(t.c.is_active.is_(True), t.c.next_run_at <= now).order_by(t.c.next_run_at)
                )
            ).scalars()
        )
        await conn.rollback()
    created = 0
    for template_id in due:
        async with new_unit_of_work() as uow:
            stmt = select(t).where(t.c.id == template_id, t.c.is_active.is_(True), t.c.next_run_at <= now)
            if uow.conn.dialect.name == "postgresql":
                stmt = stmt.with_for_update(skip_locked=True)
            template = (await uow.conn.execute(stmt)).first()
            if template is None:
                continue  # taken by another replica, deactivated or rescheduled meanwhile
            following = next_occurrence(template.rrule, template.timezone, now, start=template.created_at)
            payload = dict(template.payload or {})
            try:
                await add_task(
                    CreateTask(
                        user_id=template.owner_id,
                        board_id=template.board_id,
                        body=occurrence_request(payload),
                        source="template",
                    ),
                    uow,
                    checklist=[str(item) for item in payload.get("checklist") or []],
                    by=f"template:{template.id}",
                )
                created += 1
            except (DomainError, ValueError) as exc:
                # The occurrence is skipped, not retried forever: the next one may well succeed.
                log.warning("template %s: occurrence at %s skipped: %s", template.id, template.next_run_at, exc)
                await uow.rollback()
                await uow.conn.begin()
            await uow.conn.execute(
                update(t).where(t.c.id == template.id).values(last_run_at=now, next_run_at=following, updated_at=now)
            )
            await uow.commit()
    return created


class TemplateScheduler:
    def __init__(
        self, engine: AsyncEngine, new_unit_of_work: Callable[[], UnitOfWork], lease: Lease,
        config: SchedulerConfig = SchedulerConfig(),
    ) -> None:  # fmt: skip
        self._engine = engine
        self._new_uow = new_unit_of_work
        self._lease = lease
        self._config = config

    async def run(self, stop: asyncio.Event) -> None:
        await run_rounds_while_leased(
            stop, self._lease, self._config.poll_seconds, lambda: run_due_templates(self._engine, self._new_uow)
        )

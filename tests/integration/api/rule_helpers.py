"""Rules made and watched through the HTTP API: create one, wait for the engine to settle, read its runs."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import func, select

from kanban.api.rules.consumers import RULES_CONSUMER, rule_event_handlers
from kanban.api.rules.scheduler import run_time_triggers
from kanban.api.tables import messaging, rules
from kanban.contracts.envelope import Envelope
from kanban.contracts.registry import decode
from kanban.db.types import new_id, utcnow
from tests.integration.api.conftest import ApiHarness

SETTLE_DEADLINE_SECONDS = 60.0


async def add_rule(api: ApiHarness, me: dict[str, str], board_id: str, **rule: Any) -> dict[str, Any]:
    rule.setdefault("name", "A rule")
    rule.setdefault("conditions", [])
    created = await api.client.post(f"/boards/{board_id}/rules", json=rule, headers=me)
    assert created.status_code == 201, created.text
    return created.json()  # type: ignore[no-any-return]


async def settle(api: ApiHarness) -> None:
    """Wait until the rule engine's inbox has nothing pending (every chain has run to its end)."""
    inbox = messaging.inbox
    stmt = select(func.count()).where(inbox.c.consumer == RULES_CONSUMER, inbox.c.status == "pending")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + SETTLE_DEADLINE_SECONDS
    while True:
        async with api.app.state.services.engine.connect() as conn:  # type: ignore[attr-defined]
            pending = int((await conn.execute(stmt)).scalar_one())
        if pending == 0:
            return
        assert loop.time() < deadline, f"{pending} rule events still pending"
        await asyncio.sleep(0.05)


async def runs(api: ApiHarness, me: dict[str, str], rule_id: str) -> list[dict[str, Any]]:
    response = await api.client.get(f"/rules/{rule_id}/runs", params={"limit": 200}, headers=me)
    assert response.status_code == 200, response.text
    return response.json()["items"]  # type: ignore[no-any-return]


async def history(api: ApiHarness, me: dict[str, str], task_id: str) -> list[dict[str, Any]]:
    response = await api.client.get(f"/tasks/{task_id}/events", params={"limit": 200}, headers=me)
    assert response.status_code == 200, response.text
    return response.json()["items"]  # type: ignore[no-any-return]


async def tick(api: ApiHarness, now: Any = None) -> int:
    """One round of the time triggers, as the scheduler would run it at `now`."""
    services = api.app.state.services  # type: ignore[attr-defined]
    return await run_time_triggers(services.engine, services.messaging.new_unit_of_work, now=now)


async def insert_stored_rule(api: ApiHarness, board_id: str, owner_id: str, **values: Any) -> str:
    """A rule row written as the legacy system (and `kanban migrate split`) left it, unvalidated."""
    rule_id, now = new_id(), utcnow()
    row = {"id": rule_id, "board_id": board_id, "owner_id": owner_id, "name": "stored", "enabled": True,
           "priority": 100, "conditions": None, "created_at": now, "updated_at": now, **values}  # fmt: skip
    async with api.app.state.services.engine.begin() as conn:  # type: ignore[attr-defined]
        await conn.execute(rules.insert().values(**row))
    return rule_id


async def redeliver(api: ApiHarness, task_id: str, event_type: str) -> None:
    """Hand the rule engine a task event it has already processed, as an at-least-once delivery may."""
    inbox = messaging.inbox
    stmt = select(inbox.c.envelope).where(
        inbox.c.consumer == RULES_CONSUMER, inbox.c.aggregate_id == task_id, inbox.c.event_type == event_type
    )
    services = api.app.state.services  # type: ignore[attr-defined]
    async with services.engine.connect() as conn:
        raw = (await conn.execute(stmt)).scalars().all()
    assert raw, f"no {event_type} of task {task_id} reached the rule engine"
    handlers = rule_event_handlers(services.realtime)
    for text in raw:
        envelope = Envelope.model_validate_json(text)
        async with services.new_unit_of_work() as uow:
            await handlers[envelope.type](decode(envelope), envelope, uow)
            await uow.commit()

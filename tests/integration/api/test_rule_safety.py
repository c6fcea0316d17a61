"""Rules never loop and never act twice: random rules on random changes, and two schedulers on one database."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from kanban.api.app import create_app
from kanban.api.rules.model import MAX_CHAIN_DEPTH
from kanban.api.rules.scheduler import run_time_triggers
from kanban.api.tables import rule_event_origins, rule_runs, task_events
from kanban.db.urls import DatabaseUrl
from kanban.messaging.transports.memory import MemoryHub
from tests.integration.api.board_helpers import column_id, create_board, create_task
from tests.integration.api.conftest import ApiHarness
from tests.integration.api.rule_helpers import add_rule, runs, settle
from tests.support.settings import settings_for

TYPES = ("INPUT", "CONTEXT", "WAITING", "SOMEDAY", "DONE")
TAGS = ("a", "b")

triggers = st.one_of(
    st.just({"type": "task.created"}),
    st.builds(lambda t: {"type": "task.moved", "config": {"toColumnType": t}}, st.sampled_from(TYPES)),
    st.builds(lambda t: {"type": "task.moved", "config": {"fromColumnType": t}}, st.sampled_from(TYPES)),
    st.just({"type": "task.updated"}),
    st.builds(lambda f: {"type": "task.updated", "config": {"fields": [f]}}, st.sampled_from(["tags", "priority"])),
)
actions = st.one_of(
    st.builds(
        lambda t, p: {"type": "move_to_type", "config": {"columnType": t, "position": p}},
        st.sampled_from(TYPES), st.sampled_from(["top", "bottom"]),
    ),
    st.builds(lambda n: {"type": "add_tag", "config": {"name": n}}, st.sampled_from(TAGS)),
    st.builds(lambda n: {"type": "remove_tag", "config": {"name": n}}, st.sampled_from(TAGS)),
    st.builds(lambda p: {"type": "set_priority", "config": {"priority": p}}, st.sampled_from(["LOW", "HIGH", None])),
)  # fmt: skip
rule_docs = st.lists(
    st.fixed_dictionaries({"trigger": triggers, "actions": st.lists(actions, min_size=1, max_size=2)}),
    min_size=1, max_size=4,
)  # fmt: skip
changes = st.lists(
    st.one_of(
        st.tuples(st.just("create"), st.just(0)),
        st.tuples(st.just("move"), st.sampled_from(TYPES)),
        st.tuples(st.just("tags"), st.lists(st.sampled_from(TAGS), unique=True)),
        st.tuples(st.just("priority"), st.sampled_from(["LOW", "HIGH"])),
    ),
    min_size=1, max_size=5,
)  # fmt: skip


async def _scenario(api_db: DatabaseUrl, documents: list[dict[str, Any]], steps: list[tuple[str, Any]]) -> None:
    app = create_app(settings_for("api", api_db, None), hub=MemoryHub())
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test/api/v1") as client:
            api = ApiHarness(client=client, app=app)
            me = await api.make_user()
            board = await create_board(api, me)
            made = [await add_rule(api, me, board["id"], name=f"r{i}", **doc) for i, doc in enumerate(documents)]
            task = await create_task(api, me, board, title="subject")
            for kind, value in steps:
                if kind == "create":
                    await create_task(api, me, board, title="another")
                elif kind == "move":
                    await client.post(
                        f"/tasks/{task['id']}/move", json={"columnId": column_id(board, value)}, headers=me
                    )
                else:
                    await client.patch(f"/tasks/{task['id']}", json={kind: value}, headers=me)
            await settle(api)  # no loop: every chain ends, so the rule inbox drains
            try:
                await _check(api, me, [r["id"] for r in made])
            except AssertionError:
                print("rules:", documents, "steps:", steps)  # noqa: T201 - shown with the failing example
                raise


async def _check(api: ApiHarness, me: dict[str, str], rule_ids: list[str]) -> None:
    engine = api.app.state.services.engine  # type: ignore[attr-defined]
    async with engine.connect() as conn:
        changes = Counter(
            (
                await conn.execute(
                    select(task_events.c.triggered_by).where(
                        task_events.c.triggered_by.in_([f"rule:{r}" for r in rule_ids]),
                        task_events.c.type.in_(["moved", "updated"]),
                    )
                )
            ).scalars()
        )
        origins = {row.event_id: row.rule_id for row in await conn.execute(select(rule_event_origins))}
        keys = Counter((r.rule_id, r.trigger_key) for r in await conn.execute(select(rule_runs)))
    assert max(keys.values(), default=1) == 1
    for rule_id in rule_ids:
        log = await runs(api, me, rule_id)
        applied = [r for r in log if r["status"] == "applied"]
        # No double action: each applied run made exactly one change, and nothing else did in its name.
        assert changes[f"rule:{rule_id}"] == len(applied), [
            (r["status"], r["eventType"], r["depth"], r["changes"], r["taskId"]) for r in log
        ]
        assert all(r["depth"] <= MAX_CHAIN_DEPTH for r in applied)
        assert all(r["depth"] <= MAX_CHAIN_DEPTH + 1 for r in log)
        # A rule never ran on an event it caused itself.
        assert all(origins.get(r["eventId"]) != rule_id for r in log)


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(documents=rule_docs, steps=changes)
def test_random_rules_on_random_changes_never_loop_nor_act_twice(
    api_db: DatabaseUrl, documents: list[dict[str, Any]], steps: list[tuple[str, Any]]
) -> None:
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(_scenario(api_db, documents, steps))
    finally:
        loop.close()


async def test_two_schedulers_on_one_database_fire_an_occurrence_once(api: ApiHarness, api_db: DatabaseUrl) -> None:
    me = await api.make_user()
    board = await create_board(api, me)
    rule = await add_rule(
        api, me, board["id"], name="Overdue", trigger={"type": "task.overdue"},
        actions=[{"type": "add_tag", "config": {"name": "overdue"}}, {"type": "add_note", "config": {"text": "late"}}],
    )  # fmt: skip
    for n in range(5):
        await create_task(api, me, board, title=f"late {n}", dueAt="2020-01-01T00:00:00Z")
    await settle(api)
    services = api.app.state.services  # type: ignore[attr-defined]
    # A second API process: its own engine and unit of work on the same database.
    other = create_app(settings_for("api", api_db, None), hub=MemoryHub())
    other_services = other.state.services
    try:
        await asyncio.gather(
            run_time_triggers(services.engine, services.messaging.new_unit_of_work),
            run_time_triggers(other_services.engine, other_services.messaging.new_unit_of_work),
            run_time_triggers(services.engine, services.messaging.new_unit_of_work),
        )
    finally:
        await other_services.engine.dispose()
    # (The app's own scheduler may take part too: the claims hold whoever runs.)
    log = await runs(api, me, rule["id"])
    assert sorted(r["status"] for r in log) == ["applied"] * 5
    async with services.engine.connect() as conn:
        notes = (await conn.execute(select(task_events).where(task_events.c.type == "note"))).all()
    assert len([n for n in notes if n.triggered_by == f"rule:{rule['id']}"]) == 5

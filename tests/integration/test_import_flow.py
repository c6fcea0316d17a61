"""An import reaches the Worker as `tasks.imported` batches: each task gets a snapshot and a background
job, its later events apply in order from its imported version, and another user's task goes first."""

from __future__ import annotations

import json

from sqlalchemy import select

from kanban.worker import tables as wt
from kanban.worker.jobs.queue import BACKGROUND, INTERACTIVE
from tests.integration import test_hint_flow
from tests.integration.test_hint_flow import System, eventually

system = test_hint_flow.system  # both services in one process (memory transport)


async def _snapshot(system: System, task_id: str) -> dict | None:  # type: ignore[type-arg]
    async with system.worker.engine.connect() as conn:
        return await conn.scalar(select(wt.task_snapshots.c.state).where(wt.task_snapshots.c.task_id == task_id))  # type: ignore[no-any-return]


async def test_imported_tasks_are_analysed_as_background_work_and_stay_in_order(system: System) -> None:
    api = system.api
    me = await api.make_user()
    body = b"Title,Column\nCall the plumber,Next\nBook flights,Next\nPaid the rent,Done\n"
    reply = await api.client.post(
        "/imports",
        content=body,
        headers=me,
        params={"format": "csv", "mapping": json.dumps({"title": "Title", "column": "Column"})},
    )
    assert reply.status_code == 201, reply.text
    board = (await api.client.get(f"/boards/{reply.json()['boards'][0]['id']}", headers=me)).json()
    tasks = {t["title"]: t for c in board["columns"] for t in c["tasks"]}

    async def analysed() -> bool:
        seen = {ctx.task.title for ctx in system.pipeline.seen}
        return {"Call the plumber", "Book flights"} <= seen

    await eventually(analysed)
    assert "Paid the rent" not in {ctx.task.title for ctx in system.pipeline.seen}  # done: nothing to propose
    assert (await _snapshot(system, tasks["Paid the rent"]["id"]))["is_done"] is True  # type: ignore[index]
    async with system.worker.engine.connect() as conn:
        priorities = set((await conn.execute(select(wt.agent_jobs.c.priority))).scalars())
    assert priorities == {BACKGROUND}

    plumber = tasks["Call the plumber"]["id"]
    await api.client.patch(f"/tasks/{plumber}", json={"title": "Call the plumber today"}, headers=me)

    async def updated() -> bool:  # applied in order from the imported version, not held behind a gap
        state = await _snapshot(system, plumber)
        return state is not None and state["title"] == "Call the plumber today"

    await eventually(updated)
    other = await api.make_user()
    own = (await api.client.get("/boards/default", headers=other)).json()
    mine = (
        await api.client.post(f"/boards/{own['id']}/tasks", json={"title": "Water the plants"}, headers=other)
    ).json()

    async def interactive() -> bool:
        async with system.worker.engine.connect() as conn:
            return INTERACTIVE in set(
                (
                    await conn.execute(select(wt.agent_jobs.c.priority).where(wt.agent_jobs.c.task_id == mine["id"]))
                ).scalars()
            )

    await eventually(interactive)

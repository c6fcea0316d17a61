"""Loading a board costs a fixed number of SQL statements, whatever the number of tasks."""

from __future__ import annotations

from typing import Any

from kanban.api.tables import checklist_items, task_tags
from kanban.db.types import new_id, utcnow
from tests.integration.api.board_helpers import create_board, create_task
from tests.integration.api.conftest import ApiHarness
from tests.integration.api.factories import BoardRows, make_task
from tests.integration.api.statements import statements_of


async def statements_to_load(api: ApiHarness, me: dict[str, str], board_id: str) -> tuple[int, dict[str, Any]]:
    seen, response = await statements_of(api, api.client.get(f"/boards/{board_id}", headers=me))
    assert response.status_code == 200
    return len(seen), response.json()


async def add_tasks(api: ApiHarness, me: dict[str, str], board: dict[str, Any], n: int) -> None:
    """n tasks, each with a tag and a checklist item, inserted directly to keep the test fast."""
    tag = await create_task(api, me, board, title="tagged", tags=["t"])
    tag_id = tag["tags"][0]["id"]
    rows = BoardRows(board["id"], me["X-User-Id"], {"INPUT": board["columns"][0]["id"]})
    now = utcnow()
    for i in range(n - 1):
        task_id = await make_task(api, rows, title=f"t{i}", position=i + 1)
        async with api.app.state.services.engine.begin() as conn:  # type: ignore[attr-defined]
            await conn.execute(task_tags.insert().values(task_id=task_id, tag_id=tag_id))
            await conn.execute(
                checklist_items.insert().values(
                    id=new_id(), task_id=task_id, title="s", position=0, is_done=True, created_at=now, updated_at=now
                )
            )


async def test_statement_count_does_not_grow_with_tasks(api: ApiHarness) -> None:
    me = await api.make_user()
    small, large = await create_board(api, me, "small"), await create_board(api, me, "large")
    await add_tasks(api, me, small, 10)
    await add_tasks(api, me, large, 200)
    # The first load after the board's placements changed replays its recent flow (the cards'
    # aging); a load while they are the same reads the flow marker with the board row instead.
    # Both are fixed counts: 5 while kept on either backend (the session, board with marker,
    # columns, tasks with checklist progress, tags; the driver sends SQLite's BEGIN with the first).
    small_first, _ = await statements_to_load(api, me, small["id"])
    large_first, _ = await statements_to_load(api, me, large["id"])
    small_count, _ = await statements_to_load(api, me, small["id"])
    large_count, body = await statements_to_load(api, me, large["id"])
    assert small_first == large_first <= 11
    assert 3 <= small_count == large_count <= 5
    inbox = body["columns"][0]
    assert inbox["taskCount"] == 200
    detailed = next(t for t in inbox["tasks"] if t["title"] == "t0")
    assert (detailed["checklist"], [t["name"] for t in detailed["tags"]]) == ({"total": 1, "done": 1}, ["t"])

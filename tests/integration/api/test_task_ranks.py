"""Moves write the moved task only, keep a total order under concurrency and never deadlock."""

from __future__ import annotations

import asyncio
import random
from typing import Any

from sqlalchemy import select

from kanban.api.tables import tasks
from tests.integration.api.board_helpers import column_id, create_board, create_task
from tests.integration.api.conftest import ApiHarness


async def raw_ranks(api: ApiHarness, board_id: str) -> dict[str, float]:
    async with api.app.state.services.engine.connect() as conn:  # type: ignore[attr-defined]
        rows = await conn.execute(select(tasks.c.id, tasks.c.position).where(tasks.c.board_id == board_id))
        return {r.id: r.position for r in rows}


async def column_titles(api: ApiHarness, me: dict[str, str], board_id: str) -> dict[str, list[str]]:
    detail = (await api.client.get(f"/boards/{board_id}", headers=me)).json()
    out = {}
    for column in detail["columns"]:
        assert [t["position"] for t in column["tasks"]] == list(range(len(column["tasks"]))), column["name"]
        out[column["id"]] = [t["title"] for t in column["tasks"]]
    return out


async def test_a_move_writes_only_the_moved_tasks_rank(api: ApiHarness) -> None:
    me = await api.make_user()
    board = await create_board(api, me)
    inbox, nxt = column_id(board, "INPUT"), column_id(board, "CONTEXT")
    ids = [(await create_task(api, me, board, title=f"T{n}"))["id"] for n in range(6)]
    before = await raw_ranks(api, board["id"])
    reply = await api.client.post(f"/tasks/{ids[4]}/move", json={"columnId": nxt}, headers=me)
    assert reply.status_code == 200, reply.text
    reply = await api.client.post(f"/tasks/{ids[0]}/reorder", json={"position": 3}, headers=me)
    assert reply.json()["position"] == 3
    after = await raw_ranks(api, board["id"])
    assert {t for t in ids if after[t] != before[t]} <= {ids[4], ids[0]}
    titles = await column_titles(api, me, board["id"])
    assert titles[inbox] == ["T1", "T2", "T3", "T0", "T5"]
    assert titles[nxt] == ["T4"]


async def test_inserting_at_one_spot_again_and_again_renumbers_and_keeps_the_order(api: ApiHarness) -> None:
    """Each insert between the first two tasks halves the gap there until the column is renumbered."""
    me = await api.make_user()
    board = await create_board(api, me)
    inbox, nxt = column_id(board, "INPUT"), column_id(board, "CONTEXT")
    first = (await create_task(api, me, board, title="first", columnId=nxt))["id"]
    await create_task(api, me, board, title="last", columnId=nxt)
    expected = ["first", "last"]
    for n in range(70):
        task = await create_task(api, me, board, title=f"n{n}")
        reply = await api.client.post(f"/tasks/{task['id']}/move", json={"columnId": nxt, "position": 1}, headers=me)
        assert reply.status_code == 200, reply.text
        assert reply.json()["position"] == 1
        expected.insert(1, f"n{n}")
    titles = await column_titles(api, me, board["id"])
    assert titles[nxt] == expected and titles[inbox] == []
    reply = await api.client.get(f"/tasks/{first}", headers=me)
    assert reply.json()["position"] == 0


async def test_concurrent_moves_edits_and_checklists_on_one_board_keep_a_total_order(api: ApiHarness) -> None:
    """The mix that deadlocked on PostgreSQL: moves between columns while other requests write the
    same tasks' rows and insert rows that reference the board."""
    rng = random.Random(11)
    me = await api.make_user()
    board = await create_board(api, me)
    lanes = [c["id"] for c in board["columns"] if c["type"] in ("INPUT", "CONTEXT", "WAITING", "SOMEDAY")]
    ids = [(await create_task(api, me, board, title=f"T{n}"))["id"] for n in range(16)]

    def request(n: int) -> Any:
        task_id = rng.choice(ids)
        kind = n % 4
        if kind == 0:
            return api.client.post(f"/tasks/{task_id}/checklist", json={"title": f"step {n}"}, headers=me)
        if kind == 1:
            return api.client.patch(f"/tasks/{task_id}", json={"priority": rng.choice(["LOW", "HIGH"])}, headers=me)
        if kind == 2:
            return api.client.post(f"/tasks/{task_id}/reorder", json={"position": rng.randint(0, 5)}, headers=me)
        body = {"columnId": rng.choice(lanes), "position": rng.choice([None, 0, 2])}
        return api.client.post(f"/tasks/{task_id}/move", json=body, headers=me)

    for _ in range(3):
        replies = await asyncio.gather(*(request(n) for n in range(40)))
        assert all(r.status_code < 500 for r in replies), [r.text for r in replies if r.status_code >= 500]
        assert {r.status_code for r in replies} <= {200, 201, 409}, [r.text for r in replies if r.status_code >= 300]
    titles = await column_titles(api, me, board["id"])
    assert sorted(t for column in titles.values() for t in column) == sorted(f"T{n}" for n in range(16))
    ranks = await raw_ranks(api, board["id"])
    assert len(ranks) == 16

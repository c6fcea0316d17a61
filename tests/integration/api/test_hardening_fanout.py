"""Finding 2, end to end in one process: one user's flood is refused before it fans out, and a burst of
the largest allowed requests still leaves another user's hints arriving."""

from __future__ import annotations

from sqlalchemy import func, select

from kanban.api import limits
from kanban.api.tables import messaging
from tests.integration.api.board_helpers import create_board
from tests.integration.api.test_hints import hints_of
from tests.integration.test_hint_flow import System, eventually, system  # noqa: F401 - the fixture


async def _outbox_rows(system: System) -> int:  # noqa: F811
    async with system.api.app.state.services.engine.connect() as conn:  # type: ignore[attr-defined]
        return int((await conn.execute(select(func.count()).select_from(messaging.outbox))).scalar_one())


async def test_a_flood_is_refused_and_another_user_still_gets_hints(system: System) -> None:  # noqa: F811
    api = system.api
    flooder, other = await api.make_user(), await api.make_user()
    flood_board, other_board = await create_board(api, flooder), await create_board(api, other)
    before = await _outbox_rows(system)

    flood = await api.client.post(
        f"/boards/{flood_board['id']}/tasks",
        json={"title": "flood", "tags": [f"t{i}" for i in range(100_000)]},
        headers=flooder,
    )
    assert flood.status_code in (413, 422)
    assert await _outbox_rows(system) == before, "a refused request fans out nothing"

    # The most one request may fan out, several times over: a bounded number of events each.
    for n in range(3):
        tags = [f"burst{n}-{i}" for i in range(limits.MAX_TAGS_PER_TASK)]
        reply = await api.client.post(
            f"/boards/{flood_board['id']}/tasks", json={"title": f"burst {n}", "tags": tags}, headers=flooder
        )
        assert reply.status_code == 201
    assert await _outbox_rows(system) - before <= 3 * (limits.MAX_TAGS_PER_TASK + 2)

    mine = await api.client.post(f"/boards/{other_board['id']}/tasks", json={"title": "call bob"}, headers=other)
    assert mine.status_code == 201

    async def hinted() -> bool:
        return len(await hints_of(api, other, mine.json()["id"])) > 0

    await eventually(hinted)

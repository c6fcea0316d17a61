"""The board's response is built from rows, not models: it must still be BoardDetail to the byte,
each card the same as the task's own response, and an unchanged board answers 304 to its ETag."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from kanban.api.boards.schemas import BoardDetail
from kanban.db.types import utcnow
from tests.integration.api.board_helpers import column_id, create_board, create_task, set_task_columns
from tests.integration.api.conftest import ApiHarness


async def _varied_board(api: ApiHarness, me: dict[str, str]) -> dict[str, Any]:
    """A board whose cards use every field: tags, checklists, metadata, dates, lanes, done, stale."""
    board = await create_board(api, me, "Varied")
    lane = await api.client.post(
        f"/boards/{board['id']}/columns", json={"name": "@Email", "type": "CONTEXT"}, headers=me
    )
    assert lane.status_code == 201, lane.text
    full = await create_task(
        api, me, board, title="Everything", description="d", context="EMAIL", tags=["Zeta", "alpha", "Mid"],
        metadata={"source": "test", "n": [1, 2.5, None], "deep": {"x": "é"}}, dueAt="2030-01-02T03:04:05Z",
        priority="HIGH", durationMinutes=25, waitingFor="Ann", needsBreakdown=True,
    )  # fmt: skip
    for title, done in (("one", True), ("two", False)):
        item = await api.client.post(f"/tasks/{full['id']}/checklist", json={"title": title}, headers=me)
        assert item.status_code == 201, item.text
        if done:
            toggled = await api.client.patch(f"/checklist-items/{item.json()['id']}", json={"isDone": True}, headers=me)
            assert toggled.status_code == 200, toggled.text
    old = await create_task(api, me, board, title="Old")
    for title, target in (("Lane", lane.json()["id"]), ("Waiting", column_id(board, "WAITING")), ("Old", None)):
        task = old if target is None else await create_task(api, me, board, title=title)
        moved = await api.client.post(
            f"/tasks/{task['id']}/move", json={"columnId": target or column_id(board, "CONTEXT")}, headers=me
        )
        assert moved.status_code == 200, moved.text
    await set_task_columns(api, old["id"], last_moved_at=utcnow() - timedelta(days=30))
    finished = await create_task(api, me, board, title="Finished")
    await api.client.post(f"/tasks/{finished['id']}/move", json={"columnId": column_id(board, "DONE")}, headers=me)
    for n in range(3):
        await create_task(api, me, board, title=f"Inbox {n}")
    return board


async def test_the_board_is_the_board_detail_model_to_the_byte(api: ApiHarness) -> None:
    me = await api.make_user()
    board = await _varied_board(api, me)
    response = await api.client.get(f"/boards/{board['id']}", headers=me)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert BoardDetail.model_validate(body).model_dump(mode="json", by_alias=True) == body
    cards = [t for c in body["columns"] for t in c["tasks"]]
    assert len(cards) == 8 and all(c["taskCount"] == len(c["tasks"]) for c in body["columns"])
    assert {c["name"]: c["laneContext"] for c in body["columns"]}["@Email"] == "EMAIL"
    assert {a["taskId"] for a in body["aging"]["items"]} == {
        t["id"] for c in body["columns"] if c["type"] in ("CONTEXT", "WAITING") for t in c["tasks"]
    }


async def test_each_card_is_the_tasks_own_response(api: ApiHarness) -> None:
    me = await api.make_user()
    board = await _varied_board(api, me)
    body = (await api.client.get(f"/boards/{board['id']}", headers=me)).json()
    cards = [t for c in body["columns"] for t in c["tasks"]]
    for card in cards:
        alone = await api.client.get(f"/tasks/{card['id']}", headers=me)
        assert card == alone.json(), card["title"]
    by_title = {c["title"]: c for c in cards}
    assert [t["name"] for t in by_title["Everything"]["tags"]] == ["alpha", "Mid", "Zeta"]
    assert by_title["Everything"]["checklist"] == {"total": 2, "done": 1}
    assert (by_title["Old"]["stale"], by_title["Inbox 0"]["stale"]) == (True, False)


async def test_an_unchanged_board_answers_304_to_its_etag(api: ApiHarness) -> None:
    me = await api.make_user()
    board = await _varied_board(api, me)
    url = f"/boards/{board['id']}"
    first = await api.client.get(url, headers=me)
    tag = first.headers["etag"]
    again = await api.client.get(url, headers={**me, "If-None-Match": f'"other", {tag}'})
    assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", tag)
    await create_task(api, me, board, title="One more")
    changed = await api.client.get(url, headers={**me, "If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["etag"] != tag
    assert "One more" in {t["title"] for c in changed.json()["columns"] for t in c["tasks"]}
    other = await api.make_user()
    assert (await api.client.get(url, headers={**other, "If-None-Match": tag})).status_code == 404

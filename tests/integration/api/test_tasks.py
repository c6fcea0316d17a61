"""Tasks: create, read, update with If-Match, move with persistent positions, WIP limits, done flags, history."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from kanban.api.tables import messaging
from kanban.db.types import utcnow
from tests.integration.api.board_helpers import column_id, count_rows, create_board, create_task, set_task_columns
from tests.integration.api.conftest import ApiHarness
from tests.integration.api.factories import outbox_events, problem_fields


async def envelopes(api: ApiHarness, aggregate_id: str) -> list[dict[str, Any]]:
    outbox = messaging.outbox
    stmt = select(outbox.c.envelope).where(outbox.c.aggregate_id == aggregate_id).order_by(outbox.c.seq)
    async with api.app.state.services.engine.connect() as conn:  # type: ignore[attr-defined]
        return [json.loads(row[0]) for row in (await conn.execute(stmt)).all()]


async def set_wip(api: ApiHarness, me: dict[str, str], col: str, limit: int | None) -> None:
    response = await api.client.patch(f"/columns/{col}", json={"wipLimit": limit}, headers=me)
    assert response.status_code == 200, response.text


async def titles_in(api: ApiHarness, me: dict[str, str], board: dict[str, Any], column_type: str) -> list[str]:
    detail = (await api.client.get(f"/boards/{board['id']}", headers=me)).json()
    col = next(c for c in detail["columns"] if c["type"] == column_type)
    assert [t["position"] for t in col["tasks"]] == list(range(len(col["tasks"])))
    return [t["title"] for t in col["tasks"]]


async def test_create_defaults_to_the_inbox_and_announces_full_state(api: ApiHarness) -> None:
    me = await api.make_user()
    board = await create_board(api, me)
    task = await create_task(
        api, me, board, title=" Call Bob ", context="PHONE", priority="HIGH", durationMinutes=5,
        tags=["Work", "work", "calls"], metadata={"source": "test"}, dueAt="2030-01-02T03:04:05Z",
    )  # fmt: skip
    assert task["columnId"] == column_id(board, "INPUT")
    assert (task["title"], task["version"], task["position"], task["isDone"], task["stale"]) == (
        "Call Bob", 1, 0, False, False,
    )  # fmt: skip
    assert [t["name"] for t in task["tags"]] == ["calls", "Work"]  # sorted case-insensitively
    assert task["checklist"] == {"total": 0, "done": 0}
    [envelope] = await envelopes(api, task["id"])
    assert (envelope["type"], envelope["aggregate_version"]) == ("task.created", 1)
    state = envelope["payload"]["task"]
    assert (state["column_type"], state["context"], sorted(state["tags"])) == ("INPUT", "PHONE", ["Work", "calls"])
    got = await api.client.get(f"/tasks/{task['id']}", headers=me)
    assert got.status_code == 200
    assert got.headers["etag"] == '"1"'


async def test_missing_or_foreign_task_is_a_404_problem(api: ApiHarness) -> None:
    """The original answered 500 or an empty 200 for a missing task."""
    me, other = await api.make_user(), await api.make_user()
    task = await create_task(api, me, await create_board(api, me))
    for who, task_id in [(me, "00000000-0000-0000-0000-000000000000"), (other, task["id"])]:
        for method, suffix, body in [
            ("GET", "", None), ("PATCH", "", {"title": "x"}), ("DELETE", "", None),
            ("POST", "/move", {"columnId": task["columnId"]}), ("GET", "/events", None),
        ]:  # fmt: skip
            response = await api.client.request(method, f"/tasks/{task_id}{suffix}", json=body, headers=who)
            assert response.status_code == 404, (method, suffix)
            assert response.headers["content-type"].startswith("application/problem+json")
            assert response.json()["status"] == 404


async def test_validation_names_the_field(api: ApiHarness) -> None:
    me = await api.make_user()
    board = await create_board(api, me)
    url = f"/boards/{board['id']}/tasks"
    for body, field in [
        ({}, "title"),
        ({"title": ""}, "title"),
        ({"title": "x" * 501}, "title"),
        ({"title": "t", "priority": "URGENT"}, "priority"),
        ({"title": "t", "context": "GARDEN"}, "context"),
        ({"title": "t", "durationMinutes": -1}, "durationMinutes"),
        ({"title": "t", "columnId": "nope"}, "columnId"),
        ({"title": "t", "projectId": "nope"}, "projectId"),
        ({"title": "t", "dueAt": "2030-01-01T00:00:00"}, "dueAt"),
    ]:
        response = await api.client.post(url, json=body, headers=me)
        assert response.status_code == 422, body
        assert field in problem_fields(response.json()), (body, response.json())


async def test_patch_is_partial_null_clears_and_tags_replace(api: ApiHarness) -> None:
    me = await api.make_user()
    board = await create_board(api, me)
    task = await create_task(api, me, board, description="old", priority="LOW", tags=["a", "b"])
    patched = await api.client.patch(
        f"/tasks/{task['id']}", json={"description": None, "tags": ["B", "c"]}, headers={**me, "If-Match": '"1"'}
    )
    assert patched.status_code == 200
    body = patched.json()
    assert (body["description"], body["priority"], body["version"]) == (None, "LOW", 2)
    assert sorted(t["name"] for t in body["tags"]) == ["b", "c"]  # "B" matched the existing tag "b"
    assert patched.headers["etag"] == '"2"'
    [event] = (await api.client.get(f"/tasks/{task['id']}/events", headers=me)).json()["items"][:1]
    assert event["type"] == "updated"
    assert event["payload"]["changes"]["description"] == {"old": "old", "new": None}
    assert set(event["payload"]["changedFields"]) == {"description", "tags"}
    assert [e["type"] for e in await envelopes(api, task["id"])] == ["task.created", "task.updated"]
    assert (await envelopes(api, task["id"]))[-1]["aggregate_version"] == 2
    null_title = await api.client.patch(f"/tasks/{task['id']}", json={"title": None}, headers=me)
    assert (null_title.status_code, problem_fields(null_title.json())) == (422, {"title"})


async def test_stale_if_match_is_412_and_changes_nothing(api: ApiHarness) -> None:
    me = await api.make_user()
    task = await create_task(api, me, await create_board(api, me), title="keep")
    await api.client.patch(f"/tasks/{task['id']}", json={"title": "v2"}, headers=me)
    stale = await api.client.patch(f"/tasks/{task['id']}", json={"title": "lost"}, headers={**me, "If-Match": '"1"'})
    assert stale.status_code == 412
    assert stale.headers["content-type"].startswith("application/problem+json")
    got = (await api.client.get(f"/tasks/{task['id']}", headers=me)).json()
    assert (got["title"], got["version"]) == ("v2", 2)
    assert len(await outbox_events(api, task["id"])) == 2


async def test_move_renumbers_both_columns_and_announces_the_move(api: ApiHarness) -> None:
    me = await api.make_user()
    board = await create_board(api, me)
    inbox, nxt = column_id(board, "INPUT"), column_id(board, "CONTEXT")
    ids = {t: (await create_task(api, me, board, title=t))["id"] for t in ("a", "b", "c")}
    await create_task(api, me, board, title="x", columnId=nxt)
    moved = await api.client.post(f"/tasks/{ids['b']}/move", json={"columnId": nxt, "position": 0}, headers=me)
    assert moved.status_code == 200
    assert (moved.json()["columnId"], moved.json()["position"], moved.json()["version"]) == (nxt, 0, 2)
    assert await titles_in(api, me, board, "INPUT") == ["a", "c"]
    assert await titles_in(api, me, board, "CONTEXT") == ["b", "x"]
    last = (await envelopes(api, ids["b"]))[-1]
    assert (last["type"], last["aggregate_version"]) == ("task.moved", 2)
    assert (last["payload"]["from_column_id"], last["payload"]["to_column_id"]) == (inbox, nxt)
    reorder = await api.client.post(f"/tasks/{ids['c']}/reorder", json={"position": 0}, headers=me)
    assert reorder.status_code == 200
    assert await titles_in(api, me, board, "INPUT") == ["c", "a"]
    events = (await api.client.get(f"/tasks/{ids['b']}/events", headers=me)).json()["items"]
    assert events[0]["type"] == "moved"
    assert (events[0]["fromColumnId"], events[0]["toColumnId"]) == (inbox, nxt)


async def test_leaving_done_reopens_the_task(api: ApiHarness) -> None:
    """The original left tasks moved out of Done marked done."""
    me = await api.make_user()
    board = await create_board(api, me)
    task = await create_task(api, me, board)
    done = await api.client.post(f"/tasks/{task['id']}/move", json={"columnId": column_id(board, "DONE")}, headers=me)
    assert done.json()["isDone"] is True
    assert done.json()["completedAt"] is not None
    back = await api.client.post(
        f"/tasks/{task['id']}/move", json={"columnId": column_id(board, "CONTEXT")}, headers=me
    )
    assert (back.json()["isDone"], back.json()["completedAt"]) == (False, None)
    via_patch = await api.client.patch(f"/tasks/{task['id']}", json={"columnId": column_id(board, "DONE")}, headers=me)
    assert via_patch.json()["isDone"] is True
    types = [e["type"] for e in (await api.client.get(f"/tasks/{task['id']}/events", headers=me)).json()["items"]]
    assert sorted(types) == sorted(["created", "moved", "completed", "moved", "reopened", "moved", "completed"])


async def test_wip_limit_n_holds_exactly_n_on_every_path(api: ApiHarness) -> None:
    """The original let a limit of N take N+1 tasks, and never checked on create or update."""
    me = await api.make_user()
    board = await create_board(api, me)
    nxt = column_id(board, "CONTEXT")
    await set_wip(api, me, nxt, 2)
    for title in ("one", "two"):
        await create_task(api, me, board, title=title, columnId=nxt)
    on_create = await api.client.post(f"/boards/{board['id']}/tasks", json={"title": "3", "columnId": nxt}, headers=me)
    assert on_create.status_code == 409
    assert on_create.json()["title"] == "WIP limit reached"
    waiting = await create_task(api, me, board, title="w")
    on_move = await api.client.post(f"/tasks/{waiting['id']}/move", json={"columnId": nxt}, headers=me)
    on_patch = await api.client.patch(f"/tasks/{waiting['id']}", json={"columnId": nxt, "title": "z"}, headers=me)
    assert (on_move.status_code, on_patch.status_code) == (409, 409)
    unchanged = (await api.client.get(f"/tasks/{waiting['id']}", headers=me)).json()
    assert (unchanged["title"], unchanged["version"]) == ("w", 1)
    assert await titles_in(api, me, board, "CONTEXT") == ["one", "two"]
    assert len(await outbox_events(api, waiting["id"])) == 1


async def test_wip_override_is_allowed_and_recorded(api: ApiHarness) -> None:
    me = await api.make_user()
    board = await create_board(api, me)
    nxt = column_id(board, "CONTEXT")
    await set_wip(api, me, nxt, 1)
    await create_task(api, me, board, columnId=nxt)
    task = await create_task(api, me, board)
    moved = await api.client.post(f"/tasks/{task['id']}/move", json={"columnId": nxt, "wipOverride": True}, headers=me)
    assert (moved.status_code, moved.json()["wipOverride"]) == (200, True)
    event = (await api.client.get(f"/tasks/{task['id']}/events", headers=me)).json()["items"][0]
    assert event["payload"]["wipOverride"] is True
    assert (await envelopes(api, task["id"]))[-1]["payload"]["wip_override"] is True
    over = await create_task(api, me, board, columnId=nxt, wipOverride=True)
    assert over["wipOverride"] is True


async def test_moving_within_a_full_column_is_not_a_wip_violation(api: ApiHarness) -> None:
    me = await api.make_user()
    board = await create_board(api, me)
    nxt = column_id(board, "CONTEXT")
    await set_wip(api, me, nxt, 2)
    a = await create_task(api, me, board, title="a", columnId=nxt)
    await create_task(api, me, board, title="b", columnId=nxt)
    moved = await api.client.post(f"/tasks/{a['id']}/move", json={"columnId": nxt, "position": 1}, headers=me)
    assert moved.status_code == 200
    assert await titles_in(api, me, board, "CONTEXT") == ["b", "a"]


async def test_delete_is_204_logged_and_announced(api: ApiHarness) -> None:
    me = await api.make_user()
    board = await create_board(api, me)
    first = await create_task(api, me, board, title="first")
    await create_task(api, me, board, title="second")
    deleted = await api.client.delete(f"/tasks/{first['id']}", headers=me)
    assert deleted.status_code == 204
    assert (await api.client.get(f"/tasks/{first['id']}", headers=me)).status_code == 404
    assert await titles_in(api, me, board, "INPUT") == ["second"]
    last = (await envelopes(api, first["id"]))[-1]
    assert (last["type"], last["aggregate_version"]) == ("task.deleted", 2)
    history = (await api.client.get(f"/tasks/{first['id']}/events", headers=me)).json()
    assert history["items"][0]["type"] == "deleted"
    board_log = (await api.client.get(f"/boards/{board['id']}/events?limit=1", headers=me)).json()
    assert (board_log["total"], board_log["limit"], len(board_log["items"])) == (3, 1, 1)


async def test_stale_is_computed_from_last_moved_at(api: ApiHarness) -> None:
    """The original never computed the stale flag."""
    me = await api.make_user()
    board = await create_board(api, me)
    old = await create_task(api, me, board, title="old")
    parked = await create_task(api, me, board, title="parked", columnId=column_id(board, "SOMEDAY"))
    fresh = await create_task(api, me, board, title="fresh")
    long_ago = utcnow() - timedelta(days=8)
    for task in (old, parked):
        await set_task_columns(api, task["id"], last_moved_at=long_ago)
    assert (await api.client.get(f"/tasks/{old['id']}", headers=me)).json()["stale"] is True
    assert (await api.client.get(f"/tasks/{fresh['id']}", headers=me)).json()["stale"] is False
    stale = (await api.client.get(f"/boards/{board['id']}/stale", headers=me)).json()
    assert (stale["count"], [t["title"] for t in stale["items"]], stale["staleAfterDays"]) == (1, ["old"], 7)
    await api.client.patch(f"/boards/{board['id']}/settings", json={"staleAfterDays": 30}, headers=me)
    assert (await api.client.get(f"/boards/{board['id']}/stale", headers=me)).json()["count"] == 0
    assert (await api.client.get(f"/tasks/{old['id']}", headers=me)).json()["stale"] is False
    await api.client.patch(f"/boards/{board['id']}/settings", json={"staleAfterDays": 7}, headers=me)
    moved = await api.client.post(
        f"/tasks/{old['id']}/move", json={"columnId": column_id(board, "CONTEXT")}, headers=me
    )
    assert moved.json()["stale"] is False
    assert parked["id"] not in {
        t["id"] for t in (await api.client.get(f"/boards/{board['id']}/stale", headers=me)).json()["items"]
    }


async def test_mutations_need_a_signed_in_user(api: ApiHarness) -> None:
    me = await api.make_user()
    board = await create_board(api, me)
    response = await api.client.post(f"/boards/{board['id']}/tasks", json={"title": "x"})
    assert response.status_code == 401


async def test_concurrent_creates_cannot_both_take_the_last_slot(api: ApiHarness) -> None:
    me = await api.make_user()
    board = await create_board(api, me)
    nxt = column_id(board, "CONTEXT")
    await set_wip(api, me, nxt, 1)
    url = f"/boards/{board['id']}/tasks"
    responses = await asyncio.gather(
        *(api.client.post(url, json={"title": f"t{i}", "columnId": nxt}, headers=me) for i in range(5))
    )
    assert sorted(r.status_code for r in responses) == [201, 409, 409, 409, 409]
    assert len(await titles_in(api, me, board, "CONTEXT")) == 1


async def test_tags_created_through_a_task_are_announced_to_the_worker(api: ApiHarness) -> None:
    """The Worker's tag vocabulary comes only from tag events, whichever route created the tag."""
    me = await api.make_user()
    board = await create_board(api, me)
    task = await create_task(api, me, board, tags=["Errands"])
    assert await count_rows(api, messaging.outbox, event_type="tag.created") == 1
    reply = await api.client.patch(f"/tasks/{task['id']}", json={"tags": ["errands", "Phone"]}, headers=me)
    assert reply.status_code == 200, reply.text
    assert await count_rows(api, messaging.outbox, event_type="tag.created") == 2


async def test_positions_stay_dense_through_a_random_mix_of_moves_reorders_and_deletes(api: ApiHarness) -> None:
    import random

    rng = random.Random(7)
    me = await api.make_user()
    board = await create_board(api, me)
    columns = [c["id"] for c in board["columns"] if c["type"] not in ("DONE", "ARCHIVE")]
    ids = [(await create_task(api, me, board, title=f"T{n}", columnId=rng.choice(columns)))["id"] for n in range(12)]
    for _ in range(40):
        task_id = rng.choice(ids)
        action = rng.random()
        if action < 0.5:
            body = {"columnId": rng.choice(columns), "position": rng.choice([None, 0, 1, 3, 50])}
            reply = await api.client.post(f"/tasks/{task_id}/move", json=body, headers=me)
        elif action < 0.85:
            reply = await api.client.post(
                f"/tasks/{task_id}/reorder", json={"position": rng.randint(-1, 8)}, headers=me
            )
        else:
            reply = await api.client.delete(f"/tasks/{task_id}", headers=me)
            ids.remove(task_id)
        assert reply.status_code in (200, 204, 422), reply.text
        detail = (await api.client.get(f"/boards/{board['id']}", headers=me)).json()
        for column in detail["columns"]:
            positions = sorted(t["position"] for t in column["tasks"])
            assert positions == list(range(len(positions))), (column["name"], positions)

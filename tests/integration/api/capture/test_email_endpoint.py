"""POST /capture/email: a mail relay posts the raw message; one task per Message-ID."""

from __future__ import annotations

from kanban.api.tables import task_events
from tests.integration.api.board_helpers import count_rows, create_board
from tests.integration.api.capture.mail_helpers import mail
from tests.integration.api.conftest import ApiHarness


async def test_a_raw_message_is_captured_once(api: ApiHarness) -> None:
    me = await api.make_user()
    await create_board(api, me)
    raw = mail("Re: Fwd: Fix the gate tomorrow #home", "The latch is loose.\n\n> earlier mail\n", "<gate@example.org>")
    headers = {**me, "Content-Type": "message/rfc822"}
    first = await api.client.post("/capture/email", content=raw, headers=headers)
    assert first.status_code == 201, first.text
    task = first.json()["task"]
    assert task["title"] == "Fix the gate" and task["dueAt"] is not None
    assert [t["name"] for t in task["tags"]] == ["home"]
    assert task["source"] == "email" and task["description"].startswith("The latch is loose.")
    assert task["metadata"]["email"]["messageId"] == "<gate@example.org>"
    again = await api.client.post("/capture/email", content=raw, headers=headers)
    assert again.status_code == 200 and again.json()["task"]["id"] == task["id"]
    assert await count_rows(api, task_events, type="created") == 1


async def test_an_empty_body_is_a_problem(api: ApiHarness) -> None:
    me = await api.make_user()
    answer = await api.client.post("/capture/email", content=b"", headers={**me, "Content-Type": "message/rfc822"})
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")


async def test_mail_is_never_refused_for_the_inboxs_wip_limit(api: ApiHarness) -> None:
    """Nobody is there to retry a mail, so a full Inbox takes it anyway (recorded as an override)."""
    from sqlalchemy import update

    from kanban.api.tables import columns, tasks
    from tests.integration.api.board_helpers import column_id

    me = await api.make_user()
    board = await create_board(api, me)
    async with api.app.state.services.engine.begin() as conn:  # type: ignore[attr-defined]
        await conn.execute(update(columns).where(columns.c.id == column_id(board, "INPUT")).values(wip_limit=1))
    assert (await api.client.post("/capture", json={"text": "fills the inbox"}, headers=me)).status_code == 201
    headers = {**me, "Content-Type": "message/rfc822"}
    answer = await api.client.post(
        "/capture/email", content=mail("Over the limit", "body", "<full@x>"), headers=headers
    )
    assert answer.status_code == 201, answer.text
    assert await count_rows(api, tasks, wip_override=True) == 1

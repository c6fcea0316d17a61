"""The daily digest through a real SMTP server on loopback (aiosmtpd), and its links followed as a reader would."""

from __future__ import annotations

import asyncio
import email
import email.policy
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, update

from kanban.api.digest.handlers import DigestLinks, run_digests
from kanban.api.digest.mailer import SmtpMailer
from kanban.api.tables import digest_rule_items, email_action_tokens, users
from kanban.db.types import utcnow
from kanban.settings import SmtpSettings
from tests.integration.api.board_helpers import column_id, create_board, create_task
from tests.integration.api.conftest import ApiHarness
from tests.integration.api.rule_helpers import add_rule, redeliver, runs, settle, tick
from tests.support.processes import free_port

PUBLIC = "http://kanban.test"


class Inbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))  # type: ignore[arg-type]
        return "250 OK"


@pytest.fixture(scope="module")
def smtp() -> Iterator[tuple[Inbox, SmtpSettings]]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield inbox, SmtpSettings(host="127.0.0.1", port=controller.port, tls="none", sender="kanban@kanban.test")
    controller.stop()


def _path(url: str) -> str:
    return url.removeprefix(PUBLIC).removeprefix("/api/v1")


async def test_one_digest_a_day_whose_links_confirm_then_act_once(
    api: ApiHarness, smtp: tuple[Inbox, SmtpSettings]
) -> None:
    inbox, config = smtp
    me = await api.make_user()
    services = api.app.state.services  # type: ignore[attr-defined]
    async with services.engine.begin() as conn:
        await conn.execute(update(users).where(users.c.id == me["X-User-Id"]).values(timezone="Europe/Berlin"))
    board = await create_board(api, me)
    now = utcnow()
    overdue = {"Pay rent": now - timedelta(hours=2), "Call the plumber": now - timedelta(days=1)}
    for title, due in overdue.items():
        made = await api.client.post("/capture", json={"text": title}, headers=me)
        task_id = made.json()["task"]["id"]
        assert (await api.client.patch(f"/tasks/{task_id}", json={"dueAt": due.isoformat()}, headers=me)).is_success
    assert (await api.client.post("/capture", json={"text": "Someday maybe"}, headers=me)).status_code == 201
    settings = await api.client.put("/digest", json={"enabled": True, "hour": 0}, headers=me)
    assert settings.status_code == 200 and settings.json()["timezone"] == "Europe/Berlin"
    before = len(inbox.messages)
    links = DigestLinks(PUBLIC, services.settings.jwt_secret)
    mailer = SmtpMailer(config)
    args = (services.engine, services.new_unit_of_work, mailer, config.sender, links)
    # Two replicas at once, then a restart later the same day: one digest.
    counts = await asyncio.gather(run_digests(*args), run_digests(*args))
    assert sorted(counts) == [0, 1]
    assert await run_digests(*args, now=utcnow() + timedelta(minutes=1)) == 0
    mine = [m for m in inbox.messages[before:] if m["To"] == f"{me['X-User-Id']}@example.test"]
    assert len(mine) == 1
    message = mine[0]
    text = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    html = message.get_body(preferencelist=("html",)).get_content()  # type: ignore[union-attr]
    assert "Inbox: 3 to clarify" in text and "Pay rent" in html and "<script" not in html
    assert message["List-Unsubscribe"].startswith(f"<{PUBLIC}/api/v1/digest/unsubscribe/")
    done_url, _ = _links(text, "Pay rent")
    _, snooze_url = _links(text, "Call the plumber")

    confirm = await api.client.get(_path(done_url))  # what a link scanner does: nothing changes
    assert confirm.status_code == 200 and '<form method="post">' in confirm.text
    pay = await _task(api, me, board, "Pay rent")
    assert pay["columnId"] == column_id(board, "INPUT")
    acted = await api.client.post(_path(done_url))
    assert acted.status_code == 200 and "done" in acted.text
    assert (await _task(api, me, board, "Pay rent"))["columnId"] == column_id(board, "DONE")
    assert (await api.client.post(_path(done_url))).status_code == 410  # single use

    plumber = await _task(api, me, board, "Call the plumber")
    assert (await api.client.post(_path(snooze_url))).status_code == 200
    later = await _task(api, me, board, "Call the plumber")
    assert later["dueAt"] > plumber["dueAt"]

    async with services.engine.begin() as conn:  # the remaining links age past their expiry
        await conn.execute(update(email_action_tokens).values(expires_at=utcnow() - timedelta(seconds=1)))
    unused, _ = _links(text, "Call the plumber")
    assert (await api.client.get(_path(unused))).status_code == 410
    assert (await api.client.get("/mail-actions/not-a-token")).status_code == 404

    unsubscribe = _path(message["List-Unsubscribe"].strip("<>"))
    assert (await api.client.get(unsubscribe)).status_code == 200
    assert (await api.client.get("/digest", headers=me)).json()["enabled"] is True
    assert (await api.client.post(unsubscribe)).status_code == 200
    assert (await api.client.get("/digest", headers=me)).json()["enabled"] is False
    assert (await api.client.post(unsubscribe[:-3] + "000")).status_code == 404


def _links(text: str, title: str) -> tuple[str, str]:
    """The done and snooze links listed under a task in the digest's text part."""
    lines = text.splitlines()
    at = next(n for n, line in enumerate(lines) if line.startswith(f"- {title} ("))
    return lines[at + 1].split("done: ")[1], lines[at + 2].split("snooze: ")[1]


async def _task(api: ApiHarness, me: dict[str, str], board: dict[str, Any], title: str) -> dict[str, Any]:
    page = (await api.client.get(f"/boards/{board['id']}/tasks", params={"q": title}, headers=me)).json()
    return next(t for t in page["items"] if t["title"] == title)  # type: ignore[no-any-return]


async def test_a_rules_digest_notice_is_sent_once_then_cleared(
    api: ApiHarness, smtp: tuple[Inbox, SmtpSettings]
) -> None:
    inbox, config = smtp
    me = await api.make_user()
    services = api.app.state.services  # type: ignore[attr-defined]
    board = await create_board(api, me)
    rule = await add_rule(
        api, me, board["id"], name="Tell me when done", trigger={"type": "task.moved", "config": {"toColumnType": "DONE"}},
        actions=[{"type": "notify", "config": {"channel": "digest", "message": "Finished, tell Bob"}}],
    )  # fmt: skip
    task = await create_task(api, me, board, title="Send the report")
    moved = await api.client.post(f"/tasks/{task['id']}/move", json={"columnId": column_id(board, "DONE")}, headers=me)
    assert moved.status_code == 200, moved.text
    await settle(api)
    await redeliver(api, task["id"], "task.moved")  # the same event a second time: still one notice
    assert [r["status"] for r in await runs(api, me, rule["id"])] == ["applied"]
    assert (await api.client.put("/digest", json={"enabled": True, "hour": 0}, headers=me)).status_code == 200

    links = DigestLinks(PUBLIC, services.settings.jwt_secret)
    args = (services.engine, services.new_unit_of_work, SmtpMailer(config), config.sender, links)
    before = len(inbox.messages)
    # Nothing else to say (an empty Inbox, nothing due): the rule's notice alone is worth a digest.
    assert await run_digests(*args) == 1
    mine = [m for m in inbox.messages[before:] if m["To"] == f"{me['X-User-Id']}@example.test"]
    assert len(mine) == 1
    text = mine[0].get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    html = mine[0].get_body(preferencelist=("html",)).get_content()  # type: ignore[union-attr]
    assert "Inbox: 0 to clarify" in text and "From your rules" in text
    assert text.count("Send the report [Tell me when done]: Finished, tell Bob") == 1
    assert "<h2>From your rules</h2>" in html and html.count("Finished, tell Bob") == 1
    async with services.engine.connect() as conn:
        left = (
            await conn.execute(select(digest_rule_items).where(digest_rule_items.c.user_id == me["X-User-Id"]))
        ).all()
    assert left == []  # cleared once sent: tomorrow's digest has nothing to say, so none is sent
    assert await run_digests(*args, now=utcnow() + timedelta(days=1)) == 0


async def test_the_follow_up_preset_lists_a_due_waiting_task_in_the_digest_once(api: ApiHarness) -> None:
    me = await api.make_user()
    board = await create_board(api, me)
    installed = await api.client.post(f"/boards/{board['id']}/rule-presets/follow-up-digest", headers=me)
    assert installed.status_code == 201, installed.text
    waiting = column_id(board, "WAITING")
    await create_task(api, me, board, title="Reply from Bob", columnId=waiting, dueAt="2020-01-01T00:00:00Z")
    await create_task(api, me, board, title="Not waiting", dueAt="2020-01-01T00:00:00Z")
    await settle(api)
    await tick(api)
    await tick(api)  # the same occurrence: no second item
    services = api.app.state.services  # type: ignore[attr-defined]
    async with services.engine.connect() as conn:
        items = (
            await conn.execute(select(digest_rule_items).where(digest_rule_items.c.user_id == me["X-User-Id"]))
        ).all()
    assert [(i.task_title, i.rule_name) for i in items] == [
        ("Reply from Bob", "Waiting-for follow-up due: tell me in the digest")
    ]

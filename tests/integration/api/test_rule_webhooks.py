"""Rule notifications by outgoing webhook, through HTTP: registered, validated, signed, retried, once per (rule, event)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from kanban.api.app import create_app
from kanban.api.webhooks.delivery import DeliveryPolicy, deliver_due
from kanban.api.webhooks.sender import SendLimits, WebhookSender
from kanban.api.webhooks.signing import verify
from kanban.db.types import utcnow
from kanban.db.urls import DatabaseUrl
from kanban.messaging.transports.memory import MemoryHub
from kanban.web.addresses import AddressPolicy
from tests.integration.api.board_helpers import create_board, create_task
from tests.integration.api.conftest import ApiHarness
from tests.integration.api.factories import problem_fields
from tests.integration.api.rule_helpers import add_rule, redeliver, runs, settle
from tests.support.receivers import Receiver, running_receiver
from tests.support.settings import settings_for

# Loopback receivers need the operator's permission.
HOOKED = {"KANBAN_WEBHOOK_ALLOW_PRIVATE": "1"}


@pytest.fixture
async def hooked(api_db: DatabaseUrl) -> AsyncIterator[ApiHarness]:
    app = create_app(settings_for("api", api_db, None, **HOOKED), hub=MemoryHub())
    # Without the app's own delivery loop: each test runs the rounds itself, at the times it chooses.
    app.state.services.webhooks = None
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test/api/v1") as client:
            yield ApiHarness(client=client, app=app)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with running_receiver() as r:
        yield r


async def _webhook(api: ApiHarness, me: dict[str, str], url: str) -> dict[str, Any]:
    created = await api.client.post("/webhooks", json={"name": "My receiver", "url": url}, headers=me)
    assert created.status_code == 201, created.text
    return created.json()  # type: ignore[no-any-return]


async def _notifying_rule(
    api: ApiHarness, me: dict[str, str], board: dict[str, Any], hook: dict[str, Any]
) -> dict[str, Any]:
    return await add_rule(
        api, me, board["id"], name="Ping on new", trigger={"type": "task.created"},
        actions=[{"type": "notify", "config": {"channel": "webhook", "webhookId": hook["id"], "message": "new task"}}],
    )  # fmt: skip


async def _one_queued(api: ApiHarness, receiver: Receiver) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
    """A user with a webhook to `receiver`, a rule that notifies it on new tasks, and one delivery queued."""
    me = await api.make_user()
    board = await create_board(api, me)
    hook = await _webhook(api, me, receiver.url)
    rule = await _notifying_rule(api, me, board, hook)
    await create_task(api, me, board)
    await settle(api)
    return me, hook, rule


def _round(api: ApiHarness, policy: DeliveryPolicy = DeliveryPolicy(), **kw: Any) -> Any:
    services = api.app.state.services  # type: ignore[attr-defined]
    return deliver_due(services.engine, services.new_unit_of_work, services.webhook_sender, policy, **kw)


async def _deliveries(api: ApiHarness, me: dict[str, str], hook: dict[str, Any]) -> list[dict[str, Any]]:
    page = await api.client.get(f"/webhooks/{hook['id']}/deliveries", headers=me)
    assert page.status_code == 200, page.text
    return page.json()["items"]  # type: ignore[no-any-return]


async def test_webhooks_are_registered_with_a_secret_shown_once_and_rules_validated(
    hooked: ApiHarness, receiver: Receiver
) -> None:
    me, stranger = await hooked.make_user(), await hooked.make_user()
    hook = await _webhook(hooked, me, receiver.url)
    assert hook["secret"].startswith("whsec_") and hook["url"] == receiver.url
    listed = await hooked.client.get("/webhooks", headers=me)
    assert [h["id"] for h in listed.json()] == [hook["id"]] and hook["secret"] not in listed.text
    assert (await hooked.client.get("/webhooks", headers=stranger)).json() == []
    for url in ("ftp://example.org/x", "http://user:pw@127.0.0.1/", "not a url", "http://127.0.0.1:99999/"):
        bad = await hooked.client.post("/webhooks", json={"name": "x", "url": url}, headers=me)
        assert bad.status_code == 422 and problem_fields(bad.json()) == {"url"}, (url, bad.text)

    board = await create_board(hooked, me)
    cases = [
        ({"channel": "webhook", "webhookId": "no-such-webhook"}, "actions.0.config.webhookId"),
        ({"channel": "webhook"}, "actions.0.notify.config"),
        ({"channel": "pager"}, "actions.0.notify.config.channel"),
        ({"channel": "digest", "message": ""}, "actions.0.notify.config.message"),
    ]
    stranger_hook = await _webhook(hooked, stranger, receiver.url)
    cases.append(({"channel": "webhook", "webhookId": stranger_hook["id"]}, "actions.0.config.webhookId"))
    for config, field in cases:
        rule = {"name": "n", "trigger": {"type": "task.created"}, "actions": [{"type": "notify", "config": config}]}
        response = await hooked.client.post(f"/boards/{board['id']}/rules", json=rule, headers=me)
        assert response.status_code == 422 and field in problem_fields(response.json()), (config, response.text)

    rule = await _notifying_rule(hooked, me, board, hook)
    assert (await hooked.client.delete(f"/webhooks/{hook['id']}", headers=stranger)).status_code == 404
    assert (await hooked.client.delete(f"/webhooks/{hook['id']}", headers=me)).status_code == 204
    assert (await hooked.client.get(f"/webhooks/{hook['id']}/deliveries", headers=me)).status_code == 404
    await create_task(hooked, me, board)  # the rule still names the deleted webhook: a visible failure
    await settle(hooked)
    [run] = await runs(hooked, me, rule["id"])
    assert run["status"] == "failed" and run["reason"] == f"webhook {hook['id']} no longer exists"


async def test_one_signed_delivery_per_rule_and_event_even_when_the_event_comes_twice(
    hooked: ApiHarness, receiver: Receiver
) -> None:
    me = await hooked.make_user()
    board = await create_board(hooked, me)
    hook = await _webhook(hooked, me, receiver.url)
    rule = await _notifying_rule(hooked, me, board, hook)
    task = await create_task(hooked, me, board, title="Call Alice", tags=["phone"])
    await settle(hooked)
    await redeliver(hooked, task["id"], "task.created")
    assert await _round(hooked) == 1
    assert await _round(hooked, now=utcnow() + timedelta(days=1)) == 0  # delivered: never sent again

    assert len(receiver.received) == 1
    got = receiver.received[0]
    assert verify(hook["secret"], got.headers["x-kanban-signature"], got.body) is not None
    assert verify("whsec_wrong", got.headers["x-kanban-signature"], got.body) is None
    body = json.loads(got.body)
    assert body["deliveryId"] == got.headers["x-kanban-delivery"] and body["type"] == "rule.notification"
    assert body["rule"] == {"id": rule["id"], "name": "Ping on new", "runId": body["rule"]["runId"]}
    assert body["event"]["type"] == "task.created" and body["event"]["id"]
    assert body["task"]["title"] == "Call Alice" and body["task"]["tags"] == ["phone"]
    assert body["message"] == "new task"
    [delivery] = await _deliveries(hooked, me, hook)
    assert delivery["status"] == "delivered" and delivery["attempts"] == 1 and delivery["lastStatus"] == 200
    [run] = await runs(hooked, me, rule["id"])
    assert run["status"] == "applied" and run["id"] == body["rule"]["runId"]


async def test_a_failing_receiver_is_retried_with_backoff_then_succeeds(hooked: ApiHarness, receiver: Receiver) -> None:
    me, hook, _ = await _one_queued(hooked, receiver)
    receiver.statuses = [500, 503]
    now = utcnow()
    assert await _round(hooked, now=now) == 0
    [pending] = await _deliveries(hooked, me, hook)
    assert pending["status"] == "pending" and pending["lastStatus"] == 500 and pending["lastError"] == "HTTP 500"
    assert pending["nextAttemptAt"] > now.isoformat()
    assert await _round(hooked, now=now) == 0 and len(receiver.received) == 1  # not due again yet
    assert await _round(hooked, now=now + timedelta(hours=2)) == 0
    assert await _round(hooked, now=now + timedelta(hours=4)) == 1
    [delivered] = await _deliveries(hooked, me, hook)
    assert delivered["status"] == "delivered" and delivered["attempts"] == 3
    ids = {r.headers["x-kanban-delivery"] for r in receiver.received}
    assert len(receiver.received) == 3 and ids == {delivered["id"]}  # the same delivery id: receivers de-duplicate
    assert all(verify(hook["secret"], r.headers["x-kanban-signature"], r.body) for r in receiver.received)


async def test_a_receiver_that_always_fails_ends_in_a_recorded_failure(
    hooked: ApiHarness, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    me, hook, rule = await _one_queued(hooked, receiver)
    receiver.default = 500
    policy, now = DeliveryPolicy(max_attempts=3), utcnow()
    for hours in range(0, 30, 6):  # more rounds than attempts: it gives up at the third
        await _round(hooked, policy, now=now + timedelta(hours=hours))
    assert len(receiver.received) == 3
    [failed] = await _deliveries(hooked, me, hook)
    assert failed["status"] == "failed" and failed["attempts"] == 3 and failed["nextAttemptAt"] is None
    assert failed["lastStatus"] == 500 and failed["lastError"] == "HTTP 500"
    [run] = await runs(hooked, me, rule["id"])
    assert f"delivery {failed['id']} failed after 3 attempt(s): HTTP 500" in run["reason"]
    assert hook["secret"] not in json.dumps(failed) + json.dumps(run)
    assert f"delivery {failed['id']} failed" in caplog.text and hook["secret"] not in caplog.text


async def test_a_receiver_that_never_answers_is_a_timeout_tried_again(hooked: ApiHarness, receiver: Receiver) -> None:
    me, hook, _ = await _one_queued(hooked, receiver)
    receiver.hang = True
    services = hooked.app.state.services  # type: ignore[attr-defined]
    impatient = WebhookSender(services.webhook_sender.policy, limits=SendLimits(total_seconds=0.5))
    assert await deliver_due(services.engine, services.new_unit_of_work, impatient) == 0
    [pending] = await _deliveries(hooked, me, hook)
    assert pending["status"] == "pending" and pending["lastStatus"] is None
    assert pending["lastError"].startswith("no answer within") or "did not answer in time" in pending["lastError"]


async def test_private_addresses_are_refused_without_the_setting(
    api: ApiHarness, hooked: ApiHarness, receiver: Receiver
) -> None:
    me = await api.make_user()
    for url in (
        receiver.url,
        "http://localhost:9/hook",
        "http://[::1]/hook",
        "http://10.0.0.8/",
        "http://169.254.169.254/",
    ):
        refused = await api.client.post("/webhooks", json={"name": "inside", "url": url}, headers=me)
        assert refused.status_code == 422 and problem_fields(refused.json()) == {"url"}, url
        assert "address" in refused.json()["detail"]

    # Checked again at delivery: a sender without the setting sends nothing to loopback.
    owner, hook, _ = await _one_queued(hooked, receiver)
    services = hooked.app.state.services  # type: ignore[attr-defined]
    strict = WebhookSender(AddressPolicy())
    assert await deliver_due(services.engine, services.new_unit_of_work, strict) == 0
    assert receiver.received == []
    [pending] = await _deliveries(hooked, owner, hook)
    assert pending["status"] == "pending" and pending["lastError"].startswith("refused: 127.0.0.1 resolves to")


async def test_two_api_processes_deliver_each_notification_once(
    hooked: ApiHarness, api_db: DatabaseUrl, receiver: Receiver
) -> None:
    me = await hooked.make_user()
    board = await create_board(hooked, me)
    hook = await _webhook(hooked, me, receiver.url)
    await _notifying_rule(hooked, me, board, hook)
    for n in range(6):
        await create_task(hooked, me, board, title=f"task {n}")
    await settle(hooked)
    # A second API process: its own engine, unit of work and sender on the same database.
    other = create_app(settings_for("api", api_db, None, **HOOKED), hub=MemoryHub())
    try:
        counts = await asyncio.gather(_round(hooked), _round(ApiHarness(hooked.client, other)), _round(hooked))
    finally:
        await other.state.services.engine.dispose()
    assert sum(counts) == 6
    ids = [r.headers["x-kanban-delivery"] for r in receiver.received]
    assert len(ids) == 6 and len(set(ids)) == 6
    assert sorted(json.loads(r.body)["task"]["title"] for r in receiver.received) == [f"task {n}" for n in range(6)]

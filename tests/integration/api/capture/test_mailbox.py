"""The mailbox watcher against a real dovecot on loopback: no message lost, none doubled, across restarts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import pytest
from sqlalchemy import select

from kanban.api.capture.mailbox import MailboxWatcher
from kanban.api.tables import mailbox_checkpoints, messaging, tasks
from kanban.messaging.lease import Lease
from kanban.settings import MailboxSettings
from tests.integration.api.board_helpers import create_board
from tests.integration.api.capture.mail_helpers import mail
from tests.integration.api.conftest import ApiHarness
from tests.support.dovecot import DovecotServer, dovecot_available

pytestmark = pytest.mark.skipif(not dovecot_available(), reason="dovecot-imapd is not installed (scripts/system-deps)")


class Crash(BaseException):
    """Stands for the process dying: nothing in the watcher catches it."""


@pytest.fixture(scope="module")
def dovecot() -> Iterator[DovecotServer]:
    server = DovecotServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def owner(api: ApiHarness, dovecot: DovecotServer) -> AsyncIterator[dict[str, str]]:
    """The mailbox's owner; the folder the test watches is named after them."""
    me = await api.make_user()
    await create_board(api, me)
    dovecot.create_folder(_folder(me))
    yield me


def _folder(me: dict[str, str]) -> str:
    return "capture-" + me["X-User-Id"][:8]


def _watcher(
    api: ApiHarness,
    dovecot: DovecotServer,
    me: dict[str, str],
    hook: Callable[[int], Awaitable[None]] | None = None,
    idle_seconds: float = 2,
) -> MailboxWatcher:
    services = api.app.state.services  # type: ignore[attr-defined]
    # A folder per test: each test has its own database and so its own checkpoint.
    config = MailboxSettings(
        host=dovecot.host, port=dovecot.port, tls=False, user=dovecot.user, password=dovecot.password,
        folder=_folder(me), owner_email=f"{me['X-User-Id']}@example.test", poll_seconds=0.2, idle_seconds=idle_seconds,
    )  # fmt: skip
    lease = Lease(services.engine, messaging, "mailbox:test", "test-process", ttl_seconds=30)
    return MailboxWatcher(config, services.engine, services.new_unit_of_work, lease, before_checkpoint=hook)


async def _titles(api: ApiHarness, me: dict[str, str]) -> list[str]:
    async with api.app.state.services.engine.connect() as conn:  # type: ignore[attr-defined]
        rows = await conn.execute(select(tasks.c.title).where(tasks.c.owner_id == me["X-User-Id"]))
        return sorted(r[0] for r in rows)


async def _eventually(check: Callable[[], Awaitable[bool]], seconds: float = 30) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "not within the deadline"
        await asyncio.sleep(0.1)


async def _last_uid(api: ApiHarness) -> int:
    async with api.app.state.services.engine.connect() as conn:  # type: ignore[attr-defined]
        return int((await conn.execute(select(mailbox_checkpoints.c.last_uid))).scalar() or 0)


async def test_mail_that_arrived_while_down_is_captured_and_new_mail_is_pushed(
    api: ApiHarness, dovecot: DovecotServer, owner: dict[str, str]
) -> None:
    tag = owner["X-User-Id"][:8]
    early = dovecot.deliver(mail(f"While down {tag} !high"), _folder(owner))
    stop = asyncio.Event()
    running = asyncio.create_task(_watcher(api, dovecot, owner).run(stop))
    try:
        await _eventually(lambda: _has(api, owner, f"While down {tag}"))
        await _eventually(lambda: _async_true(early in dovecot.seen_uids(_folder(owner))))
        late = dovecot.deliver(mail(f"Pushed {tag} @phone"), _folder(owner))  # arrives during IDLE
        await _eventually(lambda: _has(api, owner, f"Pushed {tag}"))
        await _eventually(lambda: _async_true(late in dovecot.seen_uids(_folder(owner))))
    finally:
        stop.set()
        await asyncio.wait_for(running, 30)
    assert [t for t in await _titles(api, owner) if tag in t] == [f"Pushed {tag}", f"While down {tag}"]


async def test_a_restart_between_commit_and_checkpoint_neither_loses_nor_doubles(
    api: ApiHarness, dovecot: DovecotServer, owner: dict[str, str]
) -> None:
    tag = owner["X-User-Id"][:8]
    uid = dovecot.deliver(mail(f"Mid-message {tag}"), _folder(owner))

    async def die(_: int) -> None:
        raise Crash

    with pytest.raises(Crash):
        await asyncio.wait_for(_watcher(api, dovecot, owner, hook=die).run(asyncio.Event()), 30)
    assert [t for t in await _titles(api, owner) if tag in t] == [f"Mid-message {tag}"]  # committed...
    assert uid not in dovecot.seen_uids(_folder(owner))  # ...but neither checkpointed nor marked
    stop = asyncio.Event()
    running = asyncio.create_task(_watcher(api, dovecot, owner).run(stop))
    try:
        await _eventually(lambda: _async_true(uid in dovecot.seen_uids(_folder(owner))))
        await _eventually(lambda: _checkpoint_at(api, uid))
    finally:
        stop.set()
        await asyncio.wait_for(running, 30)
    assert [t for t in await _titles(api, owner) if tag in t] == [f"Mid-message {tag}"]


async def test_without_idle_new_mail_is_polled(api: ApiHarness, dovecot: DovecotServer, owner: dict[str, str]) -> None:
    tag = owner["X-User-Id"][:8]
    stop = asyncio.Event()
    running = asyncio.create_task(_watcher(api, dovecot, owner, idle_seconds=0).run(stop))
    try:
        await asyncio.sleep(0.5)  # the first sync has run and found nothing
        dovecot.deliver(mail(f"Polled {tag}"), _folder(owner))
        await _eventually(lambda: _has(api, owner, f"Polled {tag}"))
    finally:
        stop.set()
        await asyncio.wait_for(running, 30)


async def _has(api: ApiHarness, me: dict[str, str], title: str) -> bool:
    return title in await _titles(api, me)


async def _checkpoint_at(api: ApiHarness, uid: int) -> bool:
    return await _last_uid(api) >= uid


async def _async_true(value: bool) -> bool:
    return value

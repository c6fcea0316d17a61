"""The mailbox watcher: every new message in one IMAP folder becomes a capture, none lost or doubled.

It runs in the API (ADR 0021), one active per database (a lease). For each message above the
checkpoint it captures the task (de-duplicated by Message-ID, in the capture's own transaction),
then moves the checkpoint, then marks the message \\Seen. A crash between any two steps is safe:
a message re-read after a restart finds its Message-ID already captured. New mail is pushed with
IDLE (RFC 2177, re-issued well before 29 minutes); a server without IDLE is polled.
"""

from __future__ import annotations

import asyncio
import logging
import re
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aioimaplib
from sqlalchemy import func, select, update

from kanban.api.capture.handlers import AlreadyCaptured, CaptureMail, capture_mail
from kanban.api.errors import DomainError
from kanban.api.tables import mailbox_checkpoints, users
from kanban.db.async_core import AsyncEngine
from kanban.db.engine import read_only_connection
from kanban.db.types import utcnow
from kanban.messaging.lease import Lease
from kanban.messaging.unit_of_work import UnitOfWork
from kanban.settings import MailboxSettings

log = logging.getLogger(__name__)
_UIDVALIDITY = re.compile(rb"\[UIDVALIDITY (\d+)\]")
_FETCH_UID = re.compile(rb"UID (\d+)")


class MailboxUnavailable(Exception):
    """The server refused a command (login, select, fetch); the session starts again after a pause."""


@dataclass(frozen=True)
class Checkpoint:
    uidvalidity: int
    last_uid: int


class MailboxWatcher:
    def __init__(
        self,
        config: MailboxSettings,
        engine: AsyncEngine,
        new_unit_of_work: Callable[[], UnitOfWork],
        lease: Lease,
        before_checkpoint: Callable[[int], Awaitable[None]] | None = None,
    ) -> None:
        self._config = config
        self._engine = engine
        self._new_uow = new_unit_of_work
        self._lease = lease
        # Tests stop the process here, between a task's commit and the checkpoint.
        self._before_checkpoint = before_checkpoint

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                if await self._lease.acquire():
                    await self._session(stop)
            except (OSError, TimeoutError, MailboxUnavailable, aioimaplib.Abort) as exc:
                log.warning("mailbox %s: %s; retrying", self._config.name, exc or type(exc).__name__)
            except Exception:
                # Loop boundary: the checkpoint and Message-ID keys make the next session pick up safely.
                log.exception("mailbox %s: session failed", self._config.name)
            await _sleep(stop, self._config.poll_seconds)
        await self._lease.release()

    async def _session(self, stop: asyncio.Event) -> None:
        client = await self._connect()
        try:
            uidvalidity = await self._select(client)
            # KANBAN_IMAP_IDLE_SECONDS=0 turns IDLE off (some proxies drop idle connections): poll instead.
            idle = client.has_capability("IDLE") and self._config.idle_seconds > 0
            while not stop.is_set() and await self._lease.acquire():
                await self.sync(client, uidvalidity)
                if idle:
                    await self._idle(client, stop)
                else:
                    await _sleep(stop, self._config.poll_seconds)
        finally:
            try:
                await asyncio.wait_for(client.logout(), 5)
            except Exception:  # noqa: BLE001 - the session is over either way
                pass

    async def _connect(self) -> aioimaplib.IMAP4:
        c = self._config
        if c.tls:
            client: aioimaplib.IMAP4 = aioimaplib.IMAP4_SSL(
                c.host, c.port, timeout=30, ssl_context=ssl.create_default_context()
            )
        else:
            client = aioimaplib.IMAP4(c.host, c.port, timeout=30)
        await client.wait_hello_from_server()
        answer = await client.login(c.user, c.password)
        if answer.result != "OK":
            raise MailboxUnavailable("login refused")  # never the server's text: it may echo the user name
        return client

    async def _select(self, client: aioimaplib.IMAP4) -> int:
        answer = await client.select(self._config.folder)
        if answer.result != "OK":
            raise MailboxUnavailable(f"folder {self._config.folder!r} cannot be selected")
        for line in answer.lines:
            if isinstance(line, bytes | bytearray) and (m := _UIDVALIDITY.search(bytes(line))):
                return int(m.group(1))
        raise MailboxUnavailable("the server did not give a UIDVALIDITY")

    async def _idle(self, client: aioimaplib.IMAP4, stop: asyncio.Event) -> None:
        """Wait for the server's push (new mail), for at most `idle_seconds`, or until stopped."""
        waiting = await client.idle_start(timeout=self._config.idle_seconds)
        stopper = asyncio.ensure_future(stop.wait())
        push = asyncio.ensure_future(client.wait_server_push(timeout=self._config.idle_seconds + 5))
        try:
            await asyncio.wait({stopper, push}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopper.cancel()
            push.cancel()
            client.idle_done()
            await asyncio.wait_for(waiting, 10)

    async def sync(self, client: aioimaplib.IMAP4, uidvalidity: int) -> int:
        """Capture every message above the checkpoint, in UID order; returns how many were new."""
        owner = await self._owner()
        checkpoint = await self._checkpoint(uidvalidity)
        answer = await client.uid_search(f"UID {checkpoint.last_uid + 1}:*")
        if answer.result != "OK":
            raise MailboxUnavailable("search refused")
        uids = sorted(int(x) for x in bytes(answer.lines[0]).split() if int(x) > checkpoint.last_uid)
        captured = 0
        for uid in uids:
            raw = await self._fetch(client, uid)
            try:
                async with self._new_uow() as uow:
                    result = await capture_mail(CaptureMail(user_id=owner, raw=raw), uow)
                captured += 0 if result.replayed else 1
            except AlreadyCaptured:
                pass
            except DomainError as exc:
                # Not retried forever (it would hold back every later message); it stays unseen for the user.
                log.warning("mailbox %s: message uid %s not captured: %s", self._config.name, uid, exc.detail)
                await self._save(uidvalidity, uid)
                continue
            if self._before_checkpoint is not None:
                await self._before_checkpoint(uid)
            await self._save(uidvalidity, uid)
            await client.uid("store", str(uid), "+FLAGS.SILENT (\\Seen)")
        return captured

    async def _fetch(self, client: aioimaplib.IMAP4, uid: int) -> bytes:
        answer = await client.uid("fetch", str(uid), "(UID BODY.PEEK[])")
        if answer.result != "OK":
            raise MailboxUnavailable(f"fetch of uid {uid} refused")
        for line in answer.lines:
            if isinstance(line, bytearray):
                return bytes(line)
        raise MailboxUnavailable(f"uid {uid} came without a body")

    async def _owner(self) -> str:
        email = self._config.owner_email
        async with read_only_connection(self._engine) as conn:
            user_id = (await conn.execute(select(users.c.id).where(func.lower(users.c.email) == email))).scalar()
        if user_id is None:
            raise MailboxUnavailable(f"KANBAN_IMAP_OWNER {email} is not a user")
        return str(user_id)

    async def _checkpoint(self, uidvalidity: int) -> Checkpoint:
        """Where the folder stands; a new UIDVALIDITY (the folder was rebuilt) starts from the first UID."""
        t = mailbox_checkpoints
        async with self._engine.begin() as conn:
            row = (await conn.execute(select(t).where(t.c.mailbox == self._config.name))).first()
            if row is None:
                await conn.execute(
                    t.insert().values(
                        mailbox=self._config.name, uidvalidity=uidvalidity, last_uid=0, updated_at=utcnow()
                    )
                )
                return Checkpoint(uidvalidity, 0)
            if row.uidvalidity != uidvalidity:
                log.warning(
                    "mailbox %s: UIDVALIDITY changed; re-reading (Message-IDs prevent doubles)", self._config.name
                )
                await conn.execute(
                    update(t).where(t.c.mailbox == self._config.name).values(
                        uidvalidity=uidvalidity, last_uid=0, updated_at=utcnow()
                    )
                )  # fmt: skip
                return Checkpoint(uidvalidity, 0)
            return Checkpoint(row.uidvalidity, row.last_uid)

    async def _save(self, uidvalidity: int, uid: int) -> None:
        t = mailbox_checkpoints
        async with self._engine.begin() as conn:
            await conn.execute(
                update(t)
                .where(t.c.mailbox == self._config.name, t.c.uidvalidity == uidvalidity, t.c.last_uid < uid)
                .values(last_uid=uid, updated_at=utcnow())
            )


async def _sleep(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        pass

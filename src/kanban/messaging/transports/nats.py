"""The scale transport: NATS JetStream, one stream for the system, one durable pull consumer per service.

Publishing uses the event id as `Nats-Msg-Id`, so a re-published event inside the stream's
duplicate window is dropped by the broker; anything older is dropped by the receiving inbox.
A message is acknowledged only after the inbox has committed it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import Any

import nats
import nats.errors
import nats.js.errors
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, StorageType, StreamConfig
from pydantic import ValidationError

from kanban.contracts.envelope import Envelope
from kanban.messaging.cancelling import cancel_and_wait
from kanban.messaging.transports.base import Deliver, TransportRejected, TransportUnavailable

log = logging.getLogger(__name__)

MSG_ID_HEADER = "Nats-Msg-Id"

# Failures that mean "the broker is not there right now": the relay backs off and retries.
_UNAVAILABLE: tuple[type[BaseException], ...] = (
    nats.errors.ConnectionClosedError,
    nats.errors.ConnectionDrainingError,
    nats.errors.ConnectionReconnectingError,
    nats.errors.NoRespondersError,
    nats.errors.OutboundBufferLimitError,
    nats.errors.StaleConnectionError,
    nats.errors.TimeoutError,
    nats.js.errors.NoStreamResponseError,
    nats.js.errors.ServiceUnavailableError,
    asyncio.TimeoutError,
    OSError,
)
_PUBLISH_UNAVAILABLE: tuple[type[BaseException], ...] = (*_UNAVAILABLE, nats.js.errors.TooManyStalledMsgsError)


class NatsTransport:
    name = "nats"

    def __init__(
        self,
        nats_url: str,
        source: str,
        *,
        stream: str = "KANBAN",
        subject_prefix: str = "kanban",
        duplicate_window_seconds: float = 120.0,
        publish_timeout_seconds: float = 10.0,
        connect_grace_seconds: float = 5.0,
        fetch_batch: int = 256,
        fetch_timeout_seconds: float = 1.0,
        ack_wait_seconds: float = 30.0,
        nak_delay_seconds: float = 1.0,
    ) -> None:
        self._url = nats_url
        self.source = source
        self.stream = stream
        self.subject_prefix = subject_prefix
        self._duplicate_window = duplicate_window_seconds
        self._publish_timeout = publish_timeout_seconds
        self._connect_grace = connect_grace_seconds
        self._fetch_batch = fetch_batch
        self._fetch_timeout = fetch_timeout_seconds
        self._ack_wait = ack_wait_seconds
        self._nak_delay = nak_delay_seconds
        self._nc: Client | None = None
        self._js: JetStreamContext | None = None
        self._ready = asyncio.Event()
        self._connector: asyncio.Task[None] | None = None
        self._consumers: list[asyncio.Task[None]] = []
        self._closing = False

    def subject(self, destination: str, event_type: str) -> str:
        return f"{self.subject_prefix}.{destination}.{event_type}"

    # --- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        """Connect (retrying in the background if the broker is away) and make sure the stream exists."""
        self._closing = False
        self._connector = asyncio.create_task(self._connect(), name=f"nats-connect:{self.source}")
        # A broker that is down at start does not stop the service: the outbox holds the events.
        await asyncio.wait({self._connector}, timeout=self._connect_grace)
        if not self._ready.is_set():
            log.warning("nats %s: broker at %s not reachable yet; still trying", self.source, self._url)

    async def _connect(self) -> None:
        nc = await nats.connect(
            self._url,
            name=f"kanban-{self.source}",
            max_reconnect_attempts=-1,
            reconnect_time_wait=1,
            connect_timeout=2,
            error_cb=self._on_error,
            disconnected_cb=self._on_disconnected,
            reconnected_cb=self._on_reconnected,
        )
        self._nc = nc
        self._js = nc.jetstream(timeout=self._publish_timeout)
        while not self._closing:
            try:
                await self._ensure_stream(self._js)
                break
            except _UNAVAILABLE as exc:
                log.warning("nats %s: cannot create stream %s yet (%r)", self.source, self.stream, exc)
                await asyncio.sleep(1.0)
        self._ready.set()

    async def _ensure_stream(self, js: JetStreamContext) -> None:
        try:
            await js.stream_info(self.stream)
        except nats.js.errors.NotFoundError:
            with contextlib.suppress(nats.js.errors.BadRequestError):  # created meanwhile by the peer
                await js.add_stream(
                    StreamConfig(
                        name=self.stream,
                        subjects=[f"{self.subject_prefix}.>"],
                        storage=StorageType.FILE,
                        duplicate_window=self._duplicate_window,
                    )
                )

    async def _on_error(self, exc: Exception) -> None:
        log.debug("nats %s: %r", self.source, exc)

    async def _on_disconnected(self) -> None:
        if not self._closing:
            log.warning("nats %s: disconnected from %s; reconnecting", self.source, self._url)

    async def _on_reconnected(self) -> None:
        log.info("nats %s: reconnected", self.source)

    async def close(self) -> None:
        self._closing = True
        if self._consumers:
            # Let a batch in flight reach its ack, so it is not redelivered only after the ack wait.
            await asyncio.wait(self._consumers, timeout=self._fetch_timeout + 2)
        tasks = [*self._consumers, *([self._connector] if self._connector else [])]
        await cancel_and_wait(*tasks)
        self._consumers, self._connector = [], None
        if self._nc is not None and not self._nc.is_closed:
            with contextlib.suppress(Exception):
                await self._nc.close()
        self._nc, self._js = None, None
        self._ready.clear()

    async def check(self) -> None:
        if self._nc is None or not self._ready.is_set() or not self._nc.is_connected:
            raise TransportUnavailable(f"nats broker at {self._url} is not connected")

    # --- publishing -----------------------------------------------------------------------

    async def publish(self, destination: str, envelopes: Sequence[Envelope]) -> None:
        """Send the batch in order without waiting between messages, then wait for every ack."""
        await self.check()
        assert self._js is not None
        acks: list[asyncio.Future[Any]] = []
        try:
            # One timeout for the whole batch. No per-message stall timeout: it would yield to the
            # event loop after every message and flush them to the socket one by one.
            async with asyncio.timeout(self._publish_timeout):
                for env in envelopes:
                    acks.append(
                        await self._js.publish_async(
                            self.subject(destination, env.type),
                            env.model_dump_json().encode(),
                            wait_stall=None,
                            headers={MSG_ID_HEADER: env.key},
                        )
                    )
                await asyncio.gather(*acks)
        except nats.js.errors.APIError as exc:
            if isinstance(exc, nats.js.errors.ServiceUnavailableError):
                raise TransportUnavailable(f"nats: {exc}") from exc
            raise TransportRejected(f"nats refused a message for {destination}: {exc}") from exc
        except _PUBLISH_UNAVAILABLE as exc:
            raise TransportUnavailable(f"nats: publish to {destination} failed: {type(exc).__name__}") from exc
        finally:
            for ack in acks:
                if not ack.done():
                    ack.cancel()

    # --- consuming ------------------------------------------------------------------------

    async def subscribe(self, consumer: str, deliver: Deliver) -> None:
        """Start a background task pulling batches for `consumer` and acking them after `deliver`."""
        task = asyncio.create_task(self._consume(consumer, deliver), name=f"nats-consume:{consumer}")
        self._consumers.append(task)

    async def _consume(self, consumer: str, deliver: Deliver) -> None:
        subscription = None
        while not self._closing:
            try:
                if subscription is None:
                    await self._ready.wait()
                    subscription = await self._pull_subscription(consumer)
                messages = await subscription.fetch(self._fetch_batch, timeout=self._fetch_timeout)
            except nats.errors.TimeoutError:
                continue  # nothing to fetch
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                # Loop boundary: a broker hiccup must not end consumption; try again shortly.
                log.warning("nats %s: fetch failed (%r); retrying", consumer, exc)
                subscription = None if not isinstance(exc, _UNAVAILABLE) else subscription
                await asyncio.sleep(1.0)
                continue
            await self._handle(consumer, messages, deliver)

    async def _pull_subscription(self, consumer: str) -> Any:
        assert self._js is not None
        config = ConsumerConfig(
            durable_name=consumer,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            ack_wait=self._ack_wait,
            max_deliver=-1,
            max_ack_pending=max(self._fetch_batch * 4, 1000),
        )
        return await self._js.pull_subscribe(
            f"{self.subject_prefix}.{consumer}.>", durable=consumer, stream=self.stream, config=config
        )

    async def _handle(self, consumer: str, messages: list[Msg], deliver: Deliver) -> None:
        envelopes: list[Envelope] = []
        accepted: list[Msg] = []
        for msg in messages:
            try:
                envelopes.append(Envelope.model_validate_json(msg.data))
                accepted.append(msg)
            except ValidationError as exc:
                # Not an envelope at all: it can never be stored, so it is terminated, not redelivered.
                msg_id = (msg.headers or {}).get(MSG_ID_HEADER, "?")
                log.error("nats %s: dropping unreadable message %s on %s: %s", consumer, msg_id, msg.subject, exc)
                await msg.term()
        if not accepted:
            return
        try:
            await deliver(envelopes)
        except Exception as exc:
            # Loop boundary: the inbox did not commit; the broker redelivers after the delay.
            log.warning("nats %s: delivering %d event(s) failed (%r); nak", consumer, len(accepted), exc)
            for msg in accepted:
                with contextlib.suppress(Exception):
                    await msg.nak(delay=self._nak_delay)
            return
        for msg in accepted:
            with contextlib.suppress(Exception):
                await msg.ack()


async def delete_stream(nats_url: str, stream: str) -> None:
    """Remove a stream (used by tests and by operators resetting a broker)."""
    nc = await nats.connect(nats_url, connect_timeout=2, max_reconnect_attempts=0)
    try:
        with contextlib.suppress(nats.js.errors.NotFoundError):
            await nc.jetstream().delete_stream(stream)
    finally:
        await nc.close()

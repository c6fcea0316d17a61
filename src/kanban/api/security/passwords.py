"""Password hashing with argon2id: hash, verify (in constant shape for unknown users), upgrade old hashes.

Each hash costs tens of milliseconds of a core and 64 MiB. The async methods run it on a small
thread pool of its own (half the cores), so parallel sign-ups queue for it and the event loop
always keeps a core; when the queue is long a caller is told to come back (429) at once.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from typing import TypeVar

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from kanban.api.errors import RateLimited
from kanban.settings import Settings

MIN_LENGTH = 10
MAX_LENGTH = 128
_PARALLELISM = 4
_THREADS = max(1, (os.cpu_count() or 2) // 2)
# Hashes waiting beyond this many per thread are refused rather than queued for seconds.
_QUEUE_PER_THREAD = 64
T = TypeVar("T")


def password_problem(password: str, email: str) -> str | None:
    """Why a new password is refused, or None. Length is checked by the schema; these need the email too."""
    if not password.strip():
        return "the password must not be only spaces"
    lowered, address = password.strip().casefold(), email.casefold()
    if lowered in (address, address.partition("@")[0]):
        return "the password must not be the email address"
    return None


class Passwords:
    """argon2id with the cost the settings give; sync on purpose, callers run it in a thread."""

    def __init__(self, *, time_cost: int, memory_cost_kib: int) -> None:
        self._hasher = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_cost_kib, parallelism=_PARALLELISM, type=Type.ID
        )
        self._dummy_hash: str | None = None
        self._threads = ThreadPoolExecutor(max_workers=_THREADS, thread_name_prefix="argon2")
        self._waiting = 0

    async def hash_async(self, password: str) -> str:
        return await self._offload(self.hash, password)

    async def verify_async(self, password_hash: str | None, password: str) -> bool:
        return await self._offload(self.verify, password_hash, password)

    async def _offload(self, fn: Callable[..., T], *args: object) -> T:
        if self._waiting >= _THREADS * _QUEUE_PER_THREAD:
            raise RateLimited("the server is busy checking passwords; try again shortly", retryAfter=2)
        self._waiting += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._threads, fn, *args)
        finally:
            self._waiting -= 1

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        """True when the password matches. A missing hash still costs one verification.

        Unknown emails and accounts without a password (legacy upserts) verify against a dummy
        hash, so the response time does not tell an attacker which emails exist.
        """
        if password_hash is None:
            self._verify(self._dummy(), password)
            return False
        return self._verify(password_hash, password)

    def needs_rehash(self, password_hash: str) -> bool:
        """True when the hash was made with other parameters than today's (then it is upgraded on login)."""
        try:
            return self._hasher.check_needs_rehash(password_hash)
        except (InvalidHashError, ValueError):
            return True

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def _dummy(self) -> str:
        if self._dummy_hash is None:
            self._dummy_hash = self._hasher.hash("not a password: equalises timing for unknown accounts")
        return self._dummy_hash


@cache
def _passwords(time_cost: int, memory_cost_kib: int) -> Passwords:
    return Passwords(time_cost=time_cost, memory_cost_kib=memory_cost_kib)


def passwords_for(settings: Settings) -> Passwords:
    """The one hasher per cost profile, so its dummy hash is computed once per process."""
    return _passwords(settings.argon2_time_cost, settings.argon2_memory_cost_kib)

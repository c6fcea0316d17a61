"""Password hashing with argon2id: hash, verify (in constant shape for unknown users), upgrade old hashes."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from kanban.settings import Settings

MIN_LENGTH = 10
MAX_LENGTH = 128
_PARALLELISM = 4


class Passwords:
    """argon2id with the cost the settings give; sync on purpose, callers run it in a thread."""

    def __init__(self, *, time_cost: int, memory_cost_kib: int) -> None:
        self._hasher = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_cost_kib, parallelism=_PARALLELISM, type=Type.ID
        )
        self._dummy_hash: str | None = None

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

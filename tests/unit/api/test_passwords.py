"""argon2id hashing: verification, the dummy path for unknown accounts, and rehash detection."""

from __future__ import annotations

from kanban.api.security.passwords import Passwords

CHEAP = {"time_cost": 1, "memory_cost_kib": 64}


def test_a_hash_is_argon2id_and_verifies_only_its_password() -> None:
    passwords = Passwords(**CHEAP)

    hashed = passwords.hash("correct horse battery")

    assert hashed.startswith("$argon2id$")
    assert "correct horse battery" not in hashed
    assert passwords.verify(hashed, "correct horse battery")
    assert not passwords.verify(hashed, "correct horse batterY")


def test_the_same_password_hashes_differently_each_time() -> None:
    passwords = Passwords(**CHEAP)

    assert passwords.hash("correct horse battery") != passwords.hash("correct horse battery")


def test_a_missing_or_malformed_hash_never_verifies() -> None:
    passwords = Passwords(**CHEAP)

    assert not passwords.verify(None, "anything at all")
    assert not passwords.verify("not-a-hash", "anything at all")
    assert not passwords.verify("$2b$12$bcryptlookingvalue", "anything at all")


def test_hashes_with_other_parameters_need_a_rehash() -> None:
    current = Passwords(**CHEAP)
    stronger = Passwords(time_cost=2, memory_cost_kib=128)

    assert not current.needs_rehash(current.hash("correct horse battery"))
    assert current.needs_rehash(stronger.hash("correct horse battery"))
    assert current.needs_rehash("not-a-hash")

"""Reachability of the PostgreSQL and NATS servers; in CI a missing server fails the run instead of skipping."""

from __future__ import annotations

import os
import socket

import pytest

PG_ADMIN_URL = os.environ.get("KANBAN_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
NATS_URL = os.environ.get("KANBAN_TEST_NATS_URL", "nats://127.0.0.1:4222")


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


def postgres_reachable() -> bool:
    return _reachable("127.0.0.1", 5432)


def nats_reachable() -> bool:
    return _reachable("127.0.0.1", 4222)


def require(server: str, reachable: bool) -> None:
    """Skip with a visible reason, or fail when CI demands every tier."""
    if reachable:
        return
    message = f"{server} is not reachable on 127.0.0.1: the {server} tier is skipped"
    if os.environ.get("CI") or os.environ.get("KANBAN_REQUIRE_SERVERS"):
        pytest.fail(message + " (required in CI)")
    pytest.skip(message)

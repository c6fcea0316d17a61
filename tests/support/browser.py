"""Debian's chromium driven by Playwright: found on the machine (never downloaded), skipped or required like a server."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

# Quiet and offline: no first-run, sync, component or field-trial traffic from the browser itself.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


def chromium_path() -> str | None:
    for candidate in (shutil.which("chromium"), "/usr/bin/chromium"):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def require_browser() -> str:
    """The chromium binary, or a skip with the reason (a failure in CI, which must run this tier)."""
    path = chromium_path()
    problem = None if path else "no chromium on this machine (scripts/system-deps installs Debian's)"
    if problem is None:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            problem = "the playwright package is not installed (./scripts/bootstrap)"
    if problem is None and path:
        return path
    message = f"browser tier skipped: {problem}"
    if os.environ.get("CI") or os.environ.get("KANBAN_REQUIRE_SERVERS"):
        pytest.fail(message + " (required in CI)")
    pytest.skip(message)
    raise AssertionError("unreachable")

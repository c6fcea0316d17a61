"""The codebase keeps its shape: import boundaries, lint and types are part of the suite."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_service_boundaries_hold() -> None:
    """api and worker never import each other; contracts and messaging import neither."""
    result = _run(str(BIN / "lint-imports"), "--no-cache")
    assert result.returncode == 0, result.stdout + result.stderr


def test_lint_is_clean() -> None:
    result = _run(str(BIN / "ruff"), "check", "src", "tests", "bench")
    assert result.returncode == 0, result.stdout + result.stderr


def test_types_check() -> None:
    result = _run(str(BIN / "mypy"), "src/kanban")
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr

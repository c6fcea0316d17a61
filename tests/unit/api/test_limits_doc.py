"""The README's limits table is the limits module's, and the security headers it quotes are the served ones."""

from __future__ import annotations

from pathlib import Path

from kanban.api.limits import LIMITS, markdown_table
from kanban.web.security_headers import CONTENT_SECURITY_POLICY

README = (Path(__file__).resolve().parents[3] / "README.md").read_text()


def test_the_readme_shows_the_limits_table_of_the_code() -> None:
    assert markdown_table() in README, (
        "regenerate: python -c 'from kanban.api.limits import markdown_table as t; print(t())'"
    )


def test_every_limit_has_a_unique_name() -> None:
    names = [limit.name for limit in LIMITS]
    assert len(names) == len(set(names))


def test_the_readme_quotes_the_served_policy() -> None:
    assert CONTENT_SECURITY_POLICY in README

"""`kanban users`: an operator lets in an account that has no password (a legacy import), and lists accounts.

The command runs as its own process on the API's database, with no secret in its environment (it
needs none); the password comes on stdin, never as an argument. Then the account signs in.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys

import pytest

from kanban.db.urls import DatabaseUrl
from tests.integration.api.conftest import ApiHarness
from tests.support.settings import CHEAP_ARGON2

NEW_PASSWORD = "a long enough new password"


async def _users(db: DatabaseUrl, *args: str, stdin: str = "") -> tuple[int, str, str]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "API_DATABASE_URL": db.url.render_as_string(hide_password=False),
        **CHEAP_ARGON2,
        "KANBAN_DATA_DIR": "/nonexistent",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "kanban.cli.main", "users", *args, env=env,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await process.communicate(stdin.encode())
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_set_password_lets_an_account_without_one_sign_in(api: ApiHarness, api_db: DatabaseUrl) -> None:
    await api.make_user("legacy.user@example.test")  # password_hash NULL, as a legacy upsert left it
    login = {"email": "legacy.user@example.test", "password": NEW_PASSWORD}
    assert (await api.client.post("/auth/login", json=login)).status_code == 401

    code, out, _ = await _users(api_db, "list", "--json")
    assert code == 0
    assert {"email": "legacy.user@example.test", "hasPassword": False}.items() <= json.loads(out)[0].items()

    code, out, err = await _users(api_db, "set-password", "Legacy.User@example.test", stdin=NEW_PASSWORD + "\n")
    assert code == 0, err
    assert "password of legacy.user@example.test set" in out and NEW_PASSWORD not in out + err

    assert (await api.client.post("/auth/login", json=login)).status_code == 200
    code, out, _ = await _users(api_db, "list")
    assert "legacy.user@example.test" in out and "password set" in out and "1 user(s)" in out


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # the refusals do not depend on the backend
async def test_refusals_are_one_line_and_never_take_the_password_as_an_argument(
    api: ApiHarness, api_db: DatabaseUrl
) -> None:
    await api.make_user("someone@example.test")
    unknown = await _users(api_db, "set-password", "nobody@example.test", stdin=NEW_PASSWORD + "\n")
    short = await _users(api_db, "set-password", "someone@example.test", stdin="short\n")
    as_argument = await _users(api_db, "set-password", "someone@example.test", NEW_PASSWORD)
    for code, _, err in (unknown, short):
        assert code == 1 and err.startswith("kanban: error: ") and len(err.strip().splitlines()) == 1, err
    assert "no account has the email nobody@example.test" in unknown[2]
    assert as_argument[0] == 2 and "unrecognized arguments" in as_argument[2]

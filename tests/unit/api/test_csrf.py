"""The CSRF check on its own: header or form field, bound to the session, same origin only."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from starlette.requests import Request

from kanban.api.errors import Forbidden
from kanban.api.security.csrf import csrf_token, ensure_csrf

SECRET = "s" * 32


def request(method: str = "POST", headers: dict[str, str] | None = None, body: bytes = b"") -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in {"host": "board.test", **(headers or {})}.items()]
    scope = {"type": "http", "method": method, "scheme": "https", "path": "/", "headers": raw, "query_string": b""}

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": body, "more_body": False}

    return Request(scope, receive)


async def test_safe_methods_need_no_token() -> None:
    await ensure_csrf(request("GET"), "session-1", SECRET)


async def test_the_header_must_carry_this_session_s_token() -> None:
    await ensure_csrf(request(headers={"X-CSRF-Token": csrf_token("session-1", SECRET)}), "session-1", SECRET)
    for headers in ({}, {"X-CSRF-Token": csrf_token("session-2", SECRET)}, {"X-CSRF-Token": ""}):
        with pytest.raises(Forbidden):
            await ensure_csrf(request(headers=headers), "session-1", SECRET)


async def test_a_form_post_may_send_the_token_as_a_field() -> None:
    form = urlencode({"csrf_token": csrf_token("session-1", SECRET), "title": "x"}).encode()
    headers = {"content-type": "application/x-www-form-urlencoded"}
    await ensure_csrf(request(headers=headers, body=form), "session-1", SECRET)


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.test"},
        {"Origin": "null"},
        {"Referer": "https://evil.test/page"},
        {"Origin": "http://board.test"},
    ],
)
async def test_another_origin_is_refused_even_with_the_right_token(headers: dict[str, str]) -> None:
    headers = {**headers, "X-CSRF-Token": csrf_token("session-1", SECRET)}
    with pytest.raises(Forbidden):
        await ensure_csrf(request(headers=headers), "session-1", SECRET)


async def test_our_own_origin_passes() -> None:
    headers = {"Origin": "https://board.test", "X-CSRF-Token": csrf_token("session-1", SECRET)}
    await ensure_csrf(request(headers=headers), "session-1", SECRET)

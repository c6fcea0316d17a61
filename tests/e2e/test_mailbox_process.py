"""The API process watching a real dovecot mailbox: mail that arrived while the API was down is captured once it is back."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from tests.integration.api.capture.mail_helpers import mail
from tests.support.dovecot import DovecotServer, dovecot_available
from tests.support.processes import api_alone

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not dovecot_available(), reason="dovecot-imapd is not installed (scripts/system-deps)"),
]


def test_mail_sent_while_the_api_is_down_is_captured_once_when_it_is_back(tmp_path: Path) -> None:
    dovecot = DovecotServer()
    dovecot.start()
    api = api_alone(tmp_path)
    try:
        dovecot.create_folder("Kanban")
        api.env |= {
            "KANBAN_IMAP_URL": f"imap://{dovecot.user}:{dovecot.password}@{dovecot.host}:{dovecot.port}/Kanban",
            "KANBAN_IMAP_OWNER": "owner@example.test",
            "KANBAN_IMAP_POLL_SECONDS": "0.5",
            "KANBAN_IMAP_IDLE_SECONDS": "2",
        }
        api.start()
        base = f"{api.base_url}/api/v1"
        reply = httpx.post(f"{base}/auth/register", json={"email": "owner@example.test", "password": "a long password"})
        assert reply.status_code == 201, reply.text
        api.stop()
        uid = dovecot.deliver(mail("Renew passport next week #admin", message_id="<passport@example.org>"), "Kanban")
        api.start()
        me = {"Authorization": f"Bearer {_login(base)}"}
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and _inbox_titles(base, me) != ["Renew passport"]:
            time.sleep(0.2)
        assert _inbox_titles(base, me) == ["Renew passport"]
        while time.monotonic() < deadline and uid not in dovecot.seen_uids("Kanban"):
            time.sleep(0.2)
        assert uid in dovecot.seen_uids("Kanban")
        # (a restart mid-message: tests/integration/api/capture/test_mailbox.py)
        assert dovecot.password not in api.logs()
    finally:
        api.stop()
        dovecot.stop()
    assert "Traceback" not in api.logs(), api.logs()[-3000:]


def _login(base: str) -> str:
    reply = httpx.post(f"{base}/auth/login", json={"email": "owner@example.test", "password": "a long password"})
    assert reply.status_code == 200, reply.text
    return str(reply.json()["accessToken"])


def _inbox_titles(base: str, me: dict[str, str]) -> list[str]:
    board = httpx.get(f"{base}/boards/default", headers=me).json()
    inbox = next(c for c in board["columns"] if c["type"] == "INPUT")
    return [t["title"] for t in inbox["tasks"]]

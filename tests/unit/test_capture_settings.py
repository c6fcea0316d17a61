"""Capture settings: the mailbox and SMTP URLs are read once, checked, and their passwords never printed."""

from __future__ import annotations

import pytest

from kanban.settings import SettingsError, load_client_settings, load_settings
from tests.support.settings import test_env as service_env


def _api(**extra: str):  # type: ignore[no-untyped-def]
    return load_settings("api", service_env(None, None, API_DATABASE_URL="sqlite:///x.db", **extra))


def test_the_mailbox_url_is_parsed_and_its_password_hidden() -> None:
    settings = _api(KANBAN_IMAP_URL="imaps://me%40example.org:s3cr%2Ft@imap.example.org/Kanban",
                    KANBAN_IMAP_OWNER="Me@Example.org")  # fmt: skip
    box = settings.mailbox
    assert box is not None
    assert (box.host, box.port, box.tls, box.user, box.password, box.folder) == (
        "imap.example.org", 993, True, "me@example.org", "s3cr/t", "Kanban",
    )  # fmt: skip
    assert box.owner_email == "me@example.org"
    assert "s3cr" not in repr(settings) and "s3cr" not in box.name


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"KANBAN_IMAP_URL": "http://x/y", "KANBAN_IMAP_OWNER": "a@b"}, "KANBAN_IMAP_URL must look like"),
        ({"KANBAN_IMAP_URL": "imap://u:p@host/INBOX"}, "KANBAN_IMAP_OWNER is not set"),
        ({"KANBAN_SMTP_URL": "ftp://host"}, "KANBAN_SMTP_URL must look like"),
    ],
)
def test_bad_capture_settings_name_the_variable(extra: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        _api(**extra)


def test_smtp_url_modes() -> None:
    plain = _api(KANBAN_SMTP_URL="smtp://127.0.0.1:2525").smtp
    starttls = _api(KANBAN_SMTP_URL="smtp://u:pw@mail.example.org:587?starttls=true", KANBAN_MAIL_FROM="k@x.org").smtp
    tls = _api(KANBAN_SMTP_URL="smtps://mail.example.org").smtp
    assert plain is not None and (plain.port, plain.tls, plain.user) == (2525, "none", None)
    assert starttls is not None and (starttls.tls, starttls.user, starttls.sender) == ("starttls", "u", "k@x.org")
    assert tls is not None and (tls.port, tls.tls) == (465, "tls")
    assert "pw" not in repr(starttls)
    assert _api().mailbox is None and _api().smtp is None


def test_client_settings_need_a_token() -> None:
    with pytest.raises(SettingsError, match="KANBAN_TOKEN is not set"):
        load_client_settings({})
    client = load_client_settings({"KANBAN_TOKEN": "kpat_x", "KANBAN_API_URL": "http://h:1/"})
    assert (client.api_url, client.token) == ("http://h:1", "kpat_x") and "kpat_x" not in repr(client)

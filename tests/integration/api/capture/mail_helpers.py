"""E-mail messages for the capture tests."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import make_msgid


def mail(subject: str, body: str = "Details below.", message_id: str | None = None) -> bytes:
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = "me@example.org"
    message["To"] = "kanban@example.org"
    message["Message-ID"] = message_id or make_msgid(domain="example.org")
    message.set_content(body)
    return message.as_bytes()

"""Sending mail: a port (Mailer) and its SMTP adapter (aiosmtplib, KANBAN_SMTP_URL)."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Protocol

from kanban.settings import SmtpSettings


class Mailer(Protocol):
    async def send(self, message: EmailMessage) -> None: ...


class SmtpMailer:
    def __init__(self, config: SmtpSettings) -> None:
        self._config = config

    @property
    def sender(self) -> str:
        return self._config.sender

    async def send(self, message: EmailMessage) -> None:
        import aiosmtplib  # imported with the first mail sent: an instance without SMTP never loads it

        c = self._config
        await aiosmtplib.send(
            message,
            hostname=c.host,
            port=c.port,
            username=c.user,
            password=c.password,
            use_tls=c.tls == "tls",
            start_tls=c.tls == "starttls",
            timeout=30,
        )

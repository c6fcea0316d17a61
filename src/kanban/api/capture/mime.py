"""A raw e-mail (RFC 5322 bytes) read into what capture needs: subject, the new text of the body, attachments.

The body is the text part when there is one, else the HTML part sanitised (nh3) and turned into
plain text (html2text); quoted replies and signatures are cut (mail-parser-reply). Attachments are
listed (name, type, size), never stored.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import parseaddr
from typing import Any

MAX_BODY_CHARS = 20_000
SAFE_TAGS = {"p", "br", "a", "ul", "ol", "li", "b", "strong", "em", "i", "blockquote", "pre", "code", "h1", "h2", "h3"}
REPLY_LANGUAGES = ["en", "de", "fr", "es", "it", "nl"]


class UnreadableMail(ValueError):
    """The bytes are not an e-mail message."""


@dataclass(frozen=True)
class InboundMail:
    message_id: str
    subject: str
    sender: str | None
    body: str | None
    attachments: tuple[dict[str, Any], ...]

    def metadata(self) -> dict[str, Any]:
        data: dict[str, Any] = {"email": {"messageId": self.message_id, "from": self.sender}}
        if self.attachments:
            data["email"]["attachments"] = list(self.attachments)
        return data


def read_mail(raw: bytes) -> InboundMail:
    if not raw.strip():
        raise UnreadableMail("the message is empty")
    try:
        return _read(raw)
    except UnreadableMail:
        raise
    except Exception as exc:  # noqa: BLE001 - untrusted bytes: the email package raises many kinds on garbage
        raise UnreadableMail(f"the message cannot be parsed ({type(exc).__name__})") from None


def _read(raw: bytes) -> InboundMail:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    if not isinstance(message, EmailMessage) or not (message.keys()):
        raise UnreadableMail("the message has no headers")
    # Without a Message-ID the bytes themselves identify the message, so a re-delivery is still one task.
    message_id = str(message.get("Message-ID") or "").strip() or "sha256:" + hashlib.sha256(raw).hexdigest()
    subject = " ".join(str(message.get("Subject") or "").split())
    sender = parseaddr(str(message.get("From") or ""))[1] or None
    return InboundMail(
        message_id=message_id[:250],
        subject=subject,
        sender=sender,
        body=_body(message),
        attachments=tuple(_attachments(message)),
    )


def _body(message: EmailMessage) -> str | None:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return None
    try:
        content = part.get_content()
    except (LookupError, UnicodeDecodeError, AssertionError):
        content = part.get_payload(decode=True)
        content = content.decode("utf-8", "replace") if isinstance(content, bytes) else str(content or "")
    text = html_to_text(content) if part.get_content_type() == "text/html" else content
    from mailparser_reply import EmailReplyParser  # imported with the first mail, as nh3 and html2text

    fresh = EmailReplyParser(languages=REPLY_LANGUAGES).parse_reply(text=text.replace("\r\n", "\n"))
    fresh = (fresh or "").strip()
    return fresh[:MAX_BODY_CHARS] or None


def html_to_text(html: str) -> str:
    """Sanitise first (scripts, styles, event handlers and unsafe URLs go), then render as plain text."""
    import html2text
    import nh3

    clean = nh3.clean(html, tags=SAFE_TAGS, url_schemes={"http", "https", "mailto"})
    converter = html2text.HTML2Text()
    converter.body_width = 0
    converter.ignore_images = True
    return converter.handle(clean)


def _attachments(message: EmailMessage) -> list[dict[str, Any]]:
    found = []
    for part in message.iter_attachments():
        payload = part.get_payload(decode=True)
        found.append(
            {
                "filename": part.get_filename() or "unnamed",
                "contentType": part.get_content_type(),
                "size": len(payload) if isinstance(payload, bytes) else 0,
            }
        )
    return found

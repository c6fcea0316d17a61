"""Reading raw e-mail: the subject, the new text of the body (quotes cut, HTML made safe text), attachments."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from kanban.api.capture.mime import UnreadableMail, read_mail


def _message(subject: str = "Call Anna fri @phone", **parts: str) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = "Anna <anna@example.org>"
    message["To"] = "kanban@example.org"
    message["Message-ID"] = "<m1@example.org>"
    if "plain" in parts:
        message.set_content(parts["plain"])
    if "html" in parts:
        if "plain" in parts:
            message.add_alternative(parts["html"], subtype="html")
        else:
            message.set_content(parts["html"], subtype="html")
    return message


def test_plain_text_body_without_the_quoted_reply() -> None:
    body = "Please call Bob about the roof.\n\nOn Tue, Dec 1, 2026 at 10:00 AM Anna <anna@example.org> wrote:\n> old\n> text\n"
    mail = read_mail(_message(plain=body).as_bytes())
    assert mail.subject == "Call Anna fri @phone"
    assert mail.sender == "anna@example.org" and mail.message_id == "<m1@example.org>"
    assert mail.body == "Please call Bob about the roof."


def test_html_only_mail_becomes_sanitised_text() -> None:
    html = (
        "<p>Hello <b>there</b><script>alert(1)</script><style>p{color:red}</style> "
        '<a href="javascript:steal()">bad</a> <a href="https://example.org/x">good</a></p>'
        '<img src="https://tracker.example/p.gif" onerror="x()">'
    )
    mail = read_mail(_message(html=html).as_bytes())
    assert mail.body is not None
    assert "Hello **there**" in mail.body and "[good](https://example.org/x)" in mail.body
    for gone in ("alert", "color:red", "javascript", "tracker", "onerror", "<"):
        assert gone not in mail.body


def test_the_text_part_is_preferred_and_attachments_are_listed() -> None:
    message = _message(plain="See the plan.", html="<p>See the <i>plan</i>.</p>")
    message.add_attachment(b"%PDF-1.4 tiny", maintype="application", subtype="pdf", filename="plan.pdf")
    mail = read_mail(message.as_bytes())
    assert mail.body == "See the plan."
    assert mail.attachments == ({"filename": "plan.pdf", "contentType": "application/pdf", "size": 13},)
    assert mail.metadata()["email"]["attachments"][0]["filename"] == "plan.pdf"


def test_a_message_without_message_id_is_identified_by_its_bytes() -> None:
    message = _message(plain="x")
    del message["Message-ID"]
    first, second = read_mail(message.as_bytes()), read_mail(message.as_bytes())
    assert first.message_id.startswith("sha256:") and first.message_id == second.message_id


def test_bytes_that_are_not_mail_are_refused() -> None:
    with pytest.raises(UnreadableMail):
        read_mail(b"   ")

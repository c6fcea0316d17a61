"""The digest as text and HTML, and the small pages its links open (confirm, done, unsubscribe).

Every value is escaped; the pages carry no script and no inline style (the app's CSP), and each
action is a form POST to the same URL, so a link scanner's GET changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from kanban.api.digest.content import Digest, DigestItem, RuleNotice

ACTION_WORDS = {"complete": ("Mark done", "done"), "snooze": ("Snooze a day", "snoozed to tomorrow")}


def _when(at: datetime | None, zone: ZoneInfo) -> str:
    return at.astimezone(zone).strftime("%a %d %b %H:%M") if at else ""


def digest_text(digest: Digest, zone: ZoneInfo, unsubscribe_url: str) -> str:
    lines = [f"Your day, {digest.day}", ""]
    lines.append(f"Inbox: {digest.inbox_count} to clarify")
    if digest.inbox_oldest:
        lines.append(f"  oldest: {digest.inbox_oldest.title} ({digest.inbox_oldest_days} days)")
    for heading, items in (("Due today and overdue", digest.due), ("Waiting for: follow up", digest.follow_ups)):
        if items:
            lines += ["", heading]
            for item in items:
                lines.append(f"- {item.title} ({_when(item.due_at, zone)})")
                lines.append(f"  done: {item.done_url}")
                lines.append(f"  snooze: {item.snooze_url}")
    if digest.stale:
        lines += ["", "Not moved for a while"] + [f"- {item.title}" for item in digest.stale]
    if digest.hints_waiting:
        lines += ["", f"Hints waiting for review: {digest.hints_waiting}"]
    if digest.from_rules:
        lines += ["", "From your rules"] + [f"- {_notice_text(n)}" for n in digest.from_rules]
    lines += ["", f"Unsubscribe: {unsubscribe_url}"]
    return "\n".join(lines) + "\n"


def _notice_text(notice: RuleNotice) -> str:
    text = f"{notice.task_title or '(a task)'} [{notice.rule_name}]"
    return f"{text}: {notice.message}" if notice.message else text


def _notice_html(notice: RuleNotice) -> str:
    message = f" — {escape(notice.message)}" if notice.message else ""
    return f"<li>{escape(notice.task_title or '(a task)')} <small>{escape(notice.rule_name)}</small>{message}</li>"


def _item_html(item: DigestItem, zone: ZoneInfo, actions: bool) -> str:
    links = ""
    if actions:
        links = (
            f' — <a href="{escape(item.done_url or "")}">done</a>'
            f' · <a href="{escape(item.snooze_url or "")}">snooze</a>'
        )
    when = f" <small>{escape(_when(item.due_at, zone))}</small>" if item.due_at else ""
    return f"<li>{escape(item.title)}{when}{links}</li>"


def digest_html(digest: Digest, zone: ZoneInfo, unsubscribe_url: str) -> str:
    parts = [f"<h1>Your day, {escape(digest.day)}</h1>", f"<p><strong>Inbox:</strong> {digest.inbox_count} to clarify"]
    if digest.inbox_oldest:
        parts.append(f" (oldest: {escape(digest.inbox_oldest.title)}, {digest.inbox_oldest_days} days)")
    parts.append("</p>")
    for heading, items, actions in (
        ("Due today and overdue", digest.due, True),
        ("Waiting for: follow up", digest.follow_ups, True),
        ("Not moved for a while", digest.stale, False),
    ):
        if items:
            parts.append(f"<h2>{heading}</h2><ul>")
            parts += [_item_html(item, zone, actions) for item in items]
            parts.append("</ul>")
    if digest.hints_waiting:
        parts.append(f"<p>Hints waiting for review: {digest.hints_waiting}</p>")
    if digest.from_rules:
        parts += ["<h2>From your rules</h2><ul>", *(_notice_html(n) for n in digest.from_rules), "</ul>"]
    parts.append(f'<p><small><a href="{escape(unsubscribe_url)}">Unsubscribe</a></small></p>')
    return "<!doctype html><html><body>" + "".join(parts) + "</body></html>"


def page(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width"><title>{escape(title)}</title></head>'
        f"<body><main><h1>{escape(title)}</h1>{body}</main></body></html>"
    )


def confirm_page(action: str, task_title: str) -> str:
    label, _ = ACTION_WORDS.get(action, (action, action))
    return page(
        label,
        f'<p>{escape(task_title)}</p><form method="post"><button type="submit">{escape(label)}</button></form>',
    )


def done_page(action: str, task_title: str) -> str:
    _, past = ACTION_WORDS.get(action, (action, action))
    return page("Done", f"<p>{escape(task_title)}: {escape(past)}.</p>")


def unsubscribe_page(confirmed: bool) -> str:
    if confirmed:
        return page("Unsubscribed", "<p>No more daily digests. Turn it on again in the app's settings.</p>")
    return page(
        "Unsubscribe",
        '<p>Stop the daily digest?</p><form method="post"><button type="submit">Unsubscribe</button></form>',
    )


def problem_page(title: str, detail: str) -> str:
    return page(title, f"<p>{escape(detail)}</p>")

"""`kanban capture "text"`: quick-add from the command line into the Inbox, with a personal access token.

The request carries an Idempotency-Key, so the one retry after a network failure never makes two tasks.
"""

from __future__ import annotations

import argparse
import uuid

import httpx

from kanban.cli.errors import CliError
from kanban.settings import load_client_settings


def capture(args: argparse.Namespace) -> int:
    client = load_client_settings(api_url=args.api_url, token=args.token)
    body = {k: v for k, v in {"text": " ".join(args.text) or None, "url": args.url, "note": args.note}.items() if v}
    body["source"] = "cli"
    headers = {"Authorization": f"Bearer {client.token}", "Idempotency-Key": str(uuid.uuid4())}
    url = f"{client.api_url}/api/v1/capture"
    answer = None
    for attempt in range(2):
        try:
            answer = httpx.post(url, json=body, headers=headers, timeout=15)
            break
        except httpx.TransportError as exc:
            if attempt == 1:
                raise CliError(f"cannot reach the API at {client.api_url}: {exc}") from None
    assert answer is not None
    if answer.status_code >= 400:
        try:
            problem = answer.json()
            reason = problem.get("detail") or problem.get("title")
        except ValueError:
            reason = answer.text[:200]
        raise CliError(f"capture refused ({answer.status_code}): {reason}")
    out = answer.json()
    if out["kind"] == "template":
        print(f"recurring: {out['template']['name']} ({out['template']['rrule']}) {out['template']['id']}")
    else:
        task = out["task"]
        due = f" due {task['dueAt']}" if task.get("dueAt") else ""
        print(f"captured: {task['title']}{due} {task['id']}")
    return 0


def add_commands(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    cmd = subparsers.add_parser("capture", help='quick-add to the Inbox: kanban capture "Call Anna fri 3pm @phone"')
    cmd.add_argument("text", nargs="*", help="quick-add text (dates, @context, #tag, +project, !priority, ~duration)")
    cmd.add_argument("--url", help="a link to capture (the Worker fetches the page)")
    cmd.add_argument("--note", help="a longer description")
    cmd.add_argument("--token", help="a personal access token (default: KANBAN_TOKEN)")
    cmd.add_argument("--api-url", dest="api_url", help="the API (default: KANBAN_API_URL or http://127.0.0.1:8000)")
    cmd.set_defaults(func=capture)

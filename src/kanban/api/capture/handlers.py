"""Capture commands: preview the quick-add parse, and capture text or a URL into the Inbox.

Every channel (HTTP, email, CLI, MCP) ends here. A capture is a normal task create (WIP limit,
task event, outbox) in the board's Inbox, or a recurring template when the text says "every ...".
An idempotency key makes a retry return what the first attempt made.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError

from kanban.api.boards.handlers import default_board
from kanban.api.capture import repository as repo
from kanban.api.capture.mime import UnreadableMail, read_mail
from kanban.api.capture.parser import ParsedCapture, parse
from kanban.api.capture.schemas import CaptureOut, PreviewOut
from kanban.api.errors import Conflict, InvalidInput, NotFound
from kanban.api.ownership import owned_board
from kanban.api.projects.handlers import CreateProject, add_project
from kanban.api.tasks import repository as task_repo
from kanban.api.tasks.handlers import CreateTask, add_task
from kanban.api.tasks.schemas import CreateTaskRequest
from kanban.api.templates import repository as template_repo
from kanban.api.templates.handlers import CreateTemplate, add_template
from kanban.api.templates.schemas import TemplateResponse
from kanban.db.types import utcnow
from kanban.messaging.unit_of_work import UnitOfWork

MAX_TITLE = 500


@dataclass(frozen=True)
class PreviewCapture:
    user_id: str
    text: str
    board_id: str | None = None
    now: datetime | None = None


@dataclass(frozen=True)
class Capture:
    user_id: str
    text: str | None
    source: str
    url: str | None = None
    note: str | None = None
    board_id: str | None = None
    idempotency_key: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    now: datetime | None = None
    # What identifies the request behind its key, when not its fields (an e-mail: its Message-ID).
    fingerprint: str | None = None
    # Mail is never refused for the Inbox's WIP limit: nobody is there to retry it.
    wip_override: bool = False


@dataclass(frozen=True)
class CaptureMail:
    """A raw RFC 5322 message: the subject is quick-add text, the body (its new part) the description."""

    user_id: str
    raw: bytes
    board_id: str | None = None
    now: datetime | None = None


class AlreadyCaptured(Conflict):
    """The key's first request made a task that has since been deleted; nothing new is made."""


@dataclass(frozen=True)
class CaptureResult:
    out: CaptureOut
    replayed: bool = False


async def _board(uow: UnitOfWork, user_id: str, board_id: str | None) -> str:
    if board_id is None:
        return await default_board(user_id, uow)
    await owned_board(uow.conn, board_id, user_id)
    return board_id


async def _parse(uow: UnitOfWork, user_id: str, text: str, now: datetime | None) -> tuple[str, ParsedCapture]:
    zone_name, zone = await repo.user_timezone(uow.conn, user_id)
    return zone_name, parse(text, now=now or utcnow(), tz=zone)


async def preview_capture(cmd: PreviewCapture, uow: UnitOfWork) -> PreviewOut:
    board_id = await _board(uow, cmd.user_id, cmd.board_id)
    zone_name, parsed = await _parse(uow, cmd.user_id, cmd.text, cmd.now)
    project_id = await repo.project_named(uow.conn, board_id, parsed.project) if parsed.project else None
    return PreviewOut.of(parsed, zone_name, project_id)


def request_hash(cmd: Capture) -> str:
    """What makes two requests with the same key the same request."""
    if cmd.fingerprint is not None:
        return hashlib.sha256(cmd.fingerprint.encode()).hexdigest()
    body = {"text": cmd.text, "url": cmd.url, "note": cmd.note, "board": cmd.board_id, "source": cmd.source}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


async def capture(cmd: Capture, uow: UnitOfWork) -> CaptureResult:
    if cmd.idempotency_key is not None:
        earlier = await _replay(uow, cmd)
        if earlier is not None:
            return earlier
    board_id = await _board(uow, cmd.user_id, cmd.board_id)
    claim: str | None = None
    if cmd.idempotency_key is not None:
        try:
            claim = await repo.claim_request(uow.conn, cmd.user_id, cmd.idempotency_key, request_hash(cmd))
        except IntegrityError:  # a concurrent twin committed first: answer what it made
            await uow.rollback()
            earlier = await _replay(uow, cmd)
            if earlier is None:
                raise Conflict(
                    "a request with this Idempotency-Key is still in progress; retry", retryAfter=1
                ) from None
            return earlier
    _, parsed = await _parse(uow, cmd.user_id, cmd.text or "", cmd.now)
    title = parsed.title or (cmd.url or "")
    if not title:
        raise InvalidInput("the text has nothing left for a title once its dates and tags are taken", field="text")
    project_id = await _project(uow, cmd.user_id, board_id, parsed.project)
    description = "\n\n".join(part for part in (cmd.url, cmd.note) if part) or None
    metadata = {**cmd.metadata, **({"url": cmd.url} if cmd.url else {})} or None
    if parsed.recurrence is not None:
        out = await _add_template(uow, cmd, board_id, parsed, title, description, project_id, metadata)
    else:
        out = await _add_task(uow, cmd, board_id, parsed, title, description, project_id, metadata)
    if claim is not None:
        result_id = out.task.id if out.task else out.template.id if out.template else ""
        await repo.settle_request(uow.conn, claim, out.kind, result_id)
    await uow.commit()
    return CaptureResult(out)


async def _replay(uow: UnitOfWork, cmd: Capture) -> CaptureResult | None:
    assert cmd.idempotency_key is not None
    row = await repo.find_request(uow.conn, cmd.user_id, cmd.idempotency_key)
    if row is None:
        return None
    if row.request_hash != request_hash(cmd):
        raise Conflict("this Idempotency-Key was used for a different request", field="Idempotency-Key")
    if row.result_kind == "template":
        template = TemplateResponse.model_validate(await template_repo.template_by_id(uow.conn, row.result_id))
        return CaptureResult(CaptureOut(kind="template", template=template), replayed=True)
    try:
        task = await task_repo.load_task(uow.conn, row.result_id)
    except NotFound:
        raise AlreadyCaptured("the task this Idempotency-Key made has since been deleted") from None
    return CaptureResult(CaptureOut(kind="task", task=task), replayed=True)


async def _project(uow: UnitOfWork, user_id: str, board_id: str, name: str | None) -> str | None:
    """The board's project of that name, created when there is none yet ("+Garden" starts a project)."""
    if name is None:
        return None
    found = await repo.project_named(uow.conn, board_id, name)
    if found is not None:
        return found
    row = await add_project(CreateProject(user_id=user_id, board_id=board_id, name=name[:200]), uow)
    return str(row.id)


async def _add_task(
    uow: UnitOfWork, cmd: Capture, board_id: str, parsed: ParsedCapture, title: str,
    description: str | None, project_id: str | None, metadata: dict[str, Any] | None,
) -> CaptureOut:  # fmt: skip
    body = CreateTaskRequest(
        title=title[:MAX_TITLE],
        description=description,
        context=parsed.context,
        project_id=project_id,
        tags=list(parsed.tags) or None,
        due_at=parsed.due_at,
        priority=parsed.priority,
        duration_minutes=parsed.duration_minutes,
        metadata=metadata,
        wip_override=cmd.wip_override,
    )
    task_id = await add_task(
        CreateTask(user_id=cmd.user_id, board_id=board_id, body=body, source=cmd.source),
        uow,
        by=f"capture:{cmd.source}",
    )
    return CaptureOut(kind="task", task=await task_repo.load_task(uow.conn, task_id))


def _task_request(**fields: Any) -> CreateTaskRequest:
    """The create request, with the task schema's limits (e.g. tags per task) as a 422 naming the field."""
    try:
        return CreateTaskRequest(**fields)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(p) for p in error["loc"]) or "text"
        raise InvalidInput(f"{field}: {error['msg']}", field=field) from None


async def _add_template(
    uow: UnitOfWork, cmd: Capture, board_id: str, parsed: ParsedCapture, title: str,
    description: str | None, project_id: str | None, metadata: dict[str, Any] | None,
) -> CaptureOut:  # fmt: skip
    assert parsed.recurrence is not None
    zone_name, _ = await repo.user_timezone(uow.conn, cmd.user_id)
    payload = {
        "title": title[:MAX_TITLE], "description": description, "context": parsed.context, "projectId": project_id,
        "tags": list(parsed.tags) or None, "priority": parsed.priority, "durationMinutes": parsed.duration_minutes,
        "metadata": {**(metadata or {}), "source": cmd.source},
    }  # fmt: skip
    row = await add_template(
        CreateTemplate(
            user_id=cmd.user_id,
            board_id=board_id,
            name=title[:200],
            payload={k: v for k, v in payload.items() if v is not None},
            rrule=parsed.recurrence,
            timezone=zone_name,
        ),
        uow,
    )
    return CaptureOut(kind="template", template=TemplateResponse.model_validate(row))


_REPLY_PREFIX = re.compile(r"^\s*(?:(?:re|fwd?|aw|wg|tr)\s*:\s*)+", re.IGNORECASE)


async def capture_mail(cmd: CaptureMail, uow: UnitOfWork) -> CaptureResult:
    """Capture one e-mail, once per Message-ID whatever the number of deliveries."""
    try:
        mail = read_mail(cmd.raw)
    except UnreadableMail as exc:
        raise InvalidInput(f"not an e-mail message: {exc}", field="body") from None
    subject = _REPLY_PREFIX.sub("", mail.subject).strip()
    first_line = next((line.strip() for line in (mail.body or "").splitlines() if line.strip()), "")
    return await capture(
        Capture(
            user_id=cmd.user_id,
            text=subject or first_line[:200] or "(no subject)",
            source="email",
            note=mail.body,
            board_id=cmd.board_id,
            idempotency_key=f"email:{mail.message_id}",
            metadata=mail.metadata(),
            now=cmd.now,
            fingerprint=mail.message_id,
            wip_override=True,
        ),
        uow,
    )

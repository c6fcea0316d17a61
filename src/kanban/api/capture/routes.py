"""HTTP for capture: preview what quick-add text means, and capture it (with an Idempotency-Key)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request, Response, status

from kanban.api.capture import handlers
from kanban.api.capture.schemas import CaptureOut, CaptureRequest, PreviewOut, PreviewRequest
from kanban.api.deps import CurrentUserId, Uow
from kanban.api.errors import InvalidInput
from kanban.api.problems import problem_responses

router = APIRouter(tags=["capture"])

IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", max_length=200, description="Any unique string; a retry with it makes nothing new"),
]


@router.post("/capture/preview", response_model=PreviewOut, responses=problem_responses(401, 404, 422))
async def preview(body: PreviewRequest, user_id: CurrentUserId, uow: Uow) -> PreviewOut:
    cmd = handlers.PreviewCapture(user_id=user_id, text=body.text, board_id=body.board_id)
    return await handlers.preview_capture(cmd, uow)


@router.post(
    "/capture",
    status_code=status.HTTP_201_CREATED,
    response_model=CaptureOut,
    responses={**problem_responses(401, 404, 409, 422), 200: {"description": "A replay of an earlier request"}},
)
async def capture(
    body: CaptureRequest, user_id: CurrentUserId, uow: Uow, response: Response, idempotency_key: IdempotencyKey = None
) -> CaptureOut:
    cmd = handlers.Capture(
        user_id=user_id, text=body.text, url=body.url, note=body.note, board_id=body.board_id, source=body.source,
        idempotency_key=f"http:{idempotency_key}" if idempotency_key else None,
    )  # fmt: skip
    result = await handlers.capture(cmd, uow)
    if result.replayed:
        response.status_code = status.HTTP_200_OK
        response.headers["Idempotent-Replayed"] = "true"
    if result.out.task is not None:
        response.headers["Location"] = f"/api/v1/tasks/{result.out.task.id}"
    return result.out


RAW_MIME = {
    "requestBody": {
        "required": True,
        # Documented as octet-stream (what generic clients can send); message/rfc822 is accepted too.
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
        "description": "The whole message as received (RFC 5322; message/rfc822), as mail relays forward it",
    }
}


@router.post(
    "/capture/email",
    status_code=status.HTTP_201_CREATED,
    response_model=CaptureOut,
    responses={
        **problem_responses(401, 404, 409, 413, 422),
        200: {"description": "This Message-ID was captured before"},
    },
    openapi_extra=RAW_MIME,
)
async def capture_email(request: Request, user_id: CurrentUserId, uow: Uow, response: Response) -> CaptureOut:
    raw = await request.body()  # bounded by the app's body limit (maxBodyBytes)
    if not raw.strip():
        raise InvalidInput("the body must be the raw message", field="body")
    result = await handlers.capture_mail(handlers.CaptureMail(user_id=user_id, raw=bytes(raw)), uow)
    if result.replayed:
        response.status_code = status.HTTP_200_OK
        response.headers["Idempotent-Replayed"] = "true"
    return result.out

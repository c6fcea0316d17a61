"""HTTP for portability: GET /boards/{boardId}/export, GET /users/me/export, POST /imports. Thin.

An import's body is read (up to the byte limit) and checked before a transaction opens, so a
large file never holds the database while it uploads or validates.
"""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.responses import JSONResponse

from kanban.api.deps import CurrentUserId, Services, Uow
from kanban.api.errors import InvalidInput
from kanban.api.portability import handlers
from kanban.api.portability.schemas import ImportFormat, ImportReport
from kanban.api.portability.validation import ImportLimits, check_size
from kanban.api.problems import problem_responses

router = APIRouter(tags=["your data"])

_DOCUMENT = {"description": "The export document (docs/export.schema.json)", "content": {"application/json": {}}}


def limits_of(services: Any) -> ImportLimits:
    settings = services.settings
    return ImportLimits(max_bytes=settings.import_max_bytes, max_tasks=settings.import_max_tasks)


def _attachment(document: dict[str, Any], name: str) -> JSONResponse:
    return JSONResponse(document, headers={"Content-Disposition": f'attachment; filename="{name}.json"'})


@router.get("/boards/{boardId}/export", responses={200: _DOCUMENT, **problem_responses(401, 404)})
async def export_board(boardId: str, user_id: CurrentUserId, uow: Uow) -> JSONResponse:
    """One board with everything under it (columns, tasks, checklists, tags, projects, rules, templates, hints, history)."""
    document = await handlers.export_document(handlers.ExportAccount(user_id=user_id, board_id=boardId), uow)
    return _attachment(document, f"kanban-board-{boardId}")


@router.get("/users/me/export", responses={200: _DOCUMENT, **problem_responses(401)})
async def export_account(user_id: CurrentUserId, uow: Uow) -> JSONResponse:
    """Every board of the account, as one document that `POST /imports` takes back on any instance."""
    document = await handlers.export_document(handlers.ExportAccount(user_id=user_id), uow)
    return _attachment(document, "kanban-account")


async def read_body(request: Request, limits: ImportLimits) -> bytes:
    """The request body, refused (413) as soon as it passes the limit: never buffered beyond it."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit():
        check_size(int(declared), limits)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        check_size(size, limits)
        chunks.append(chunk)
    return b"".join(chunks)


def _mapping(raw: str | None) -> dict[str, str] | None:
    if raw is None:
        return None
    try:
        mapping = json.loads(raw)
    except ValueError:
        mapping = None
    if not isinstance(mapping, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()):
        raise InvalidInput(
            'mapping must be a JSON object of field to CSV header, e.g. {"title": "Name"}', field="mapping"
        )
    return mapping


@router.post(
    "/imports",
    status_code=status.HTTP_201_CREATED,
    response_model=ImportReport,
    responses={
        200: {"model": ImportReport, "description": "This file was imported before: nothing changed"},
        **problem_responses(401, 413, 422),
    },  # fmt: skip
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object"}}, "text/csv": {"schema": {"type": "string"}}},
        }
    },
)
async def import_file(
    request: Request,
    response: Response,
    user_id: CurrentUserId,
    services: Services,
    format: Annotated[ImportFormat, Query(description="kanban (our export), trello, kanboard (CSV) or csv")] = "kanban",
    mapping: Annotated[
        str | None, Query(description='csv only: JSON {field: CSV header}, e.g. {"title":"Name"}')
    ] = None,
) -> ImportReport:
    """Import a file as new boards of the caller: ids are new, the Worker learns the tasks, the same file twice is a no-op."""
    limits = limits_of(services)
    body = await read_body(request, limits)
    cmd = handlers.ImportFile(user_id=user_id, format=format, body=body, csv_mapping=_mapping(mapping))
    checked = await asyncio.to_thread(handlers.check_file, cmd, limits)
    async with services.new_unit_of_work() as uow:
        report = await handlers.import_file(checked, uow)
    if report.already_imported:
        response.status_code = status.HTTP_200_OK
    return report

"""HTTP for recurring templates: /boards/{boardId}/templates and /templates/{templateId}. Thin: body in, command out."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from kanban.api.deps import CurrentUserId, Uow
from kanban.api.problems import problem_responses
from kanban.api.templates import handlers
from kanban.api.templates.schemas import CreateTemplateRequest, TemplateResponse, UpdateTemplateRequest

router = APIRouter(tags=["templates"])


@router.get("/boards/{boardId}/templates", response_model=list[TemplateResponse], responses=problem_responses(401, 404))
async def list_templates(boardId: str, user_id: CurrentUserId, uow: Uow) -> list[TemplateResponse]:
    return [TemplateResponse.model_validate(row) for row in await handlers.list_templates(boardId, user_id, uow)]


@router.post(
    "/boards/{boardId}/templates",
    status_code=status.HTTP_201_CREATED,
    response_model=TemplateResponse,
    responses=problem_responses(401, 404, 422),
)
async def create_template(
    boardId: str, body: CreateTemplateRequest, user_id: CurrentUserId, uow: Uow
) -> TemplateResponse:
    cmd = handlers.CreateTemplate(
        user_id=user_id, board_id=boardId, name=body.name, description=body.description,
        payload=body.payload.model_dump(by_alias=True, mode="json"), rrule=body.rrule, timezone=body.timezone,
        is_active=body.is_active,
    )  # fmt: skip
    return TemplateResponse.model_validate(await handlers.create_template(cmd, uow))


@router.get("/templates/{templateId}", response_model=TemplateResponse, responses=problem_responses(401, 404))
async def get_template(templateId: str, user_id: CurrentUserId, uow: Uow) -> TemplateResponse:
    return TemplateResponse.model_validate(await handlers.get_template(templateId, user_id, uow))


@router.patch("/templates/{templateId}", response_model=TemplateResponse, responses=problem_responses(401, 404, 422))
async def update_template(
    templateId: str, body: UpdateTemplateRequest, user_id: CurrentUserId, uow: Uow
) -> TemplateResponse:
    changes = body.model_dump(mode="json", exclude_unset=True)  # snake_case keys: the column names
    if body.payload is not None:
        changes["payload"] = body.payload.model_dump(by_alias=True, mode="json")
    cmd = handlers.UpdateTemplate(user_id=user_id, template_id=templateId, changes=changes)
    return TemplateResponse.model_validate(await handlers.update_template(cmd, uow))


@router.delete("/templates/{templateId}", status_code=status.HTTP_204_NO_CONTENT, responses=problem_responses(401, 404))
async def delete_template(templateId: str, user_id: CurrentUserId, uow: Uow) -> Response:
    await handlers.delete_template(handlers.DeleteTemplate(user_id=user_id, template_id=templateId), uow)
    return Response(status_code=status.HTTP_204_NO_CONTENT)

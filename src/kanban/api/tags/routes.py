"""HTTP for tags: /boards/{boardId}/tags, /tags/{tagId}, /tasks/{taskId}/tags. Thin: body in, command out."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from kanban.api.deps import CurrentUserId, Uow
from kanban.api.problems import problem_responses
from kanban.api.tags import handlers
from kanban.api.tags.schemas import AttachTagRequest, CreateTagRequest, TagResponse, UpdateTagRequest

router = APIRouter(tags=["tags"])


@router.get("/boards/{boardId}/tags", response_model=list[TagResponse], responses=problem_responses(401, 404))
async def list_tags(boardId: str, user_id: CurrentUserId, uow: Uow) -> list[TagResponse]:
    return [TagResponse.model_validate(row) for row in await handlers.list_tags(boardId, user_id, uow)]


@router.post(
    "/boards/{boardId}/tags",
    status_code=status.HTTP_201_CREATED,
    response_model=TagResponse,
    responses=problem_responses(401, 404, 409, 422),
)
async def create_tag(boardId: str, body: CreateTagRequest, user_id: CurrentUserId, uow: Uow) -> TagResponse:
    cmd = handlers.CreateTag(user_id=user_id, board_id=boardId, name=body.name, color=body.color)
    return TagResponse.model_validate(await handlers.create_tag(cmd, uow))


@router.patch("/tags/{tagId}", response_model=TagResponse, responses=problem_responses(401, 404, 409, 422))
async def update_tag(tagId: str, body: UpdateTagRequest, user_id: CurrentUserId, uow: Uow) -> TagResponse:
    cmd = handlers.UpdateTag(user_id=user_id, tag_id=tagId, changes=body.model_dump(exclude_unset=True))
    return TagResponse.model_validate(await handlers.update_tag(cmd, uow))


@router.delete("/tags/{tagId}", status_code=status.HTTP_204_NO_CONTENT, responses=problem_responses(401, 404))
async def delete_tag(tagId: str, user_id: CurrentUserId, uow: Uow) -> Response:
    await handlers.delete_tag(handlers.DeleteTag(user_id=user_id, tag_id=tagId), uow)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/tasks/{taskId}/tags", response_model=list[TagResponse], responses=problem_responses(401, 404))
async def list_task_tags(taskId: str, user_id: CurrentUserId, uow: Uow) -> list[TagResponse]:
    return [TagResponse.model_validate(row) for row in await handlers.list_task_tags(taskId, user_id, uow)]


@router.post("/tasks/{taskId}/tags", response_model=TagResponse, responses=problem_responses(401, 404, 422))
async def attach_tag(taskId: str, body: AttachTagRequest, user_id: CurrentUserId, uow: Uow) -> TagResponse:
    cmd = handlers.AttachTag(user_id=user_id, task_id=taskId, name=body.name, color=body.color)
    return TagResponse.model_validate(await handlers.attach_tag(cmd, uow))


@router.delete(
    "/tasks/{taskId}/tags/{tagId}", status_code=status.HTTP_204_NO_CONTENT, responses=problem_responses(401, 404)
)
async def detach_tag(taskId: str, tagId: str, user_id: CurrentUserId, uow: Uow) -> Response:
    await handlers.detach_tag(handlers.DetachTag(user_id=user_id, task_id=taskId, tag_id=tagId), uow)
    return Response(status_code=status.HTTP_204_NO_CONTENT)

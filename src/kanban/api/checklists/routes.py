"""HTTP for checklists: /tasks/{taskId}/checklist and /checklist-items/{itemId}. Thin: body in, command out."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from kanban.api.checklists import handlers
from kanban.api.checklists.schemas import (
    AddItemRequest,
    ChecklistItemResponse,
    ChecklistResponse,
    Progress,
    ReorderRequest,
    UpdateItemRequest,
)
from kanban.api.deps import CurrentUserId, Uow
from kanban.api.problems import problem_responses

router = APIRouter(tags=["checklists"])


def _checklist(checklist: handlers.Checklist) -> ChecklistResponse:
    return ChecklistResponse(
        task_id=checklist.task_id,
        items=[ChecklistItemResponse.model_validate(item) for item in checklist.items],
        progress=Progress(done=checklist.done, total=len(checklist.items), percent=checklist.percent),
    )


@router.get("/tasks/{taskId}/checklist", response_model=ChecklistResponse, responses=problem_responses(401, 404))
async def get_checklist(taskId: str, user_id: CurrentUserId, uow: Uow) -> ChecklistResponse:
    return _checklist(await handlers.get_checklist(taskId, user_id, uow))


@router.post(
    "/tasks/{taskId}/checklist",
    status_code=status.HTTP_201_CREATED,
    response_model=ChecklistItemResponse,
    responses=problem_responses(401, 404, 422),
)
async def add_item(taskId: str, body: AddItemRequest, user_id: CurrentUserId, uow: Uow) -> ChecklistItemResponse:
    cmd = handlers.AddItem(user_id=user_id, task_id=taskId, **body.model_dump())
    return ChecklistItemResponse.model_validate(await handlers.add_item(cmd, uow))


@router.post(
    "/tasks/{taskId}/checklist/reorder", response_model=ChecklistResponse, responses=problem_responses(401, 404, 422)
)
async def reorder_items(taskId: str, body: ReorderRequest, user_id: CurrentUserId, uow: Uow) -> ChecklistResponse:
    cmd = handlers.ReorderItems(user_id=user_id, task_id=taskId, item_ids=body.item_ids)
    return _checklist(await handlers.reorder_items(cmd, uow))


@router.patch(
    "/checklist-items/{itemId}", response_model=ChecklistItemResponse, responses=problem_responses(401, 404, 422)
)
async def update_item(itemId: str, body: UpdateItemRequest, user_id: CurrentUserId, uow: Uow) -> ChecklistItemResponse:
    cmd = handlers.UpdateItem(user_id=user_id, item_id=itemId, changes=body.model_dump(exclude_unset=True))
    return ChecklistItemResponse.model_validate(await handlers.update_item(cmd, uow))


@router.post(
    "/checklist-items/{itemId}/toggle", response_model=ChecklistItemResponse, responses=problem_responses(401, 404)
)
async def toggle_item(itemId: str, user_id: CurrentUserId, uow: Uow) -> ChecklistItemResponse:
    cmd = handlers.ToggleItem(user_id=user_id, item_id=itemId)
    return ChecklistItemResponse.model_validate(await handlers.toggle_item(cmd, uow))


@router.delete(
    "/checklist-items/{itemId}", status_code=status.HTTP_204_NO_CONTENT, responses=problem_responses(401, 404)
)
async def remove_item(itemId: str, user_id: CurrentUserId, uow: Uow) -> Response:
    await handlers.remove_item(handlers.RemoveItem(user_id=user_id, item_id=itemId), uow)
    return Response(status_code=status.HTTP_204_NO_CONTENT)

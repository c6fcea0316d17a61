"""HTTP for columns: /boards/{boardId}/columns (+ reorder), /columns/{columnId}. Thin: body in, command out."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from kanban.api.columns import handlers
from kanban.api.columns.schemas import ColumnOut, CreateColumnRequest, ReorderColumnsRequest, UpdateColumnRequest
from kanban.api.deps import CurrentUserId, Uow
from kanban.api.problems import problem_responses

router = APIRouter(tags=["columns"])


@router.post(
    "/boards/{boardId}/columns",
    status_code=status.HTTP_201_CREATED,
    response_model=ColumnOut,
    responses=problem_responses(401, 404, 422),
)
async def create_column(boardId: str, body: CreateColumnRequest, user_id: CurrentUserId, uow: Uow) -> ColumnOut:
    return await handlers.create_column(handlers.CreateColumn(user_id=user_id, board_id=boardId, body=body), uow)


@router.patch("/columns/{columnId}", response_model=ColumnOut, responses=problem_responses(401, 404, 409, 422))
async def update_column(columnId: str, body: UpdateColumnRequest, user_id: CurrentUserId, uow: Uow) -> ColumnOut:
    cmd = handlers.UpdateColumn(user_id=user_id, column_id=columnId, changes=body.model_dump(exclude_unset=True))
    return await handlers.update_column(cmd, uow)


@router.post(
    "/boards/{boardId}/columns/reorder", response_model=list[ColumnOut], responses=problem_responses(401, 404, 422)
)
async def reorder_columns(
    boardId: str, body: ReorderColumnsRequest, user_id: CurrentUserId, uow: Uow
) -> list[ColumnOut]:
    cmd = handlers.ReorderColumns(user_id=user_id, board_id=boardId, column_ids=body.column_ids)
    return await handlers.reorder_columns(cmd, uow)


@router.delete(
    "/columns/{columnId}", status_code=status.HTTP_204_NO_CONTENT, responses=problem_responses(401, 404, 409)
)
async def delete_column(columnId: str, user_id: CurrentUserId, uow: Uow) -> Response:
    await handlers.delete_column(handlers.DeleteColumn(user_id=user_id, column_id=columnId), uow)
    return Response(status_code=status.HTTP_204_NO_CONTENT)

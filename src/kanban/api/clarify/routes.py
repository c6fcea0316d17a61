"""HTTP for clarifying the inbox: the next item, a decision on a task, the counts."""

from __future__ import annotations

from fastapi import APIRouter

from kanban.api.clarify import handlers
from kanban.api.clarify.schemas import ClarifyRequest, ClarifyResult, ClarifyStats, NextToClarify
from kanban.api.deps import CurrentUserId, Uow
from kanban.api.ownership import owned_board
from kanban.api.problems import problem_responses

router = APIRouter(tags=["clarify"])


@router.get("/boards/{boardId}/clarify/next", response_model=NextToClarify, responses=problem_responses(401, 404))
async def next_to_clarify(boardId: str, user_id: CurrentUserId, uow: Uow) -> NextToClarify:
    """The oldest unclarified task in the board's INPUT columns; `{task: null, remaining: 0}` when the inbox is clear."""
    await owned_board(uow.conn, boardId, user_id)
    return await handlers.next_to_clarify(uow.conn, boardId)


@router.post("/tasks/{taskId}/clarify", response_model=ClarifyResult, responses=problem_responses(401, 404, 409, 422))
async def clarify_task(taskId: str, body: ClarifyRequest, user_id: CurrentUserId, uow: Uow) -> ClarifyResult:
    return await handlers.clarify_task(handlers.ClarifyTask(user_id=user_id, task_id=taskId, body=body), uow)


@router.get("/boards/{boardId}/clarify/stats", response_model=ClarifyStats, responses=problem_responses(401, 404))
async def clarify_stats(boardId: str, user_id: CurrentUserId, uow: Uow) -> ClarifyStats:
    await owned_board(uow.conn, boardId, user_id)
    return await handlers.clarify_stats(uow.conn, boardId)

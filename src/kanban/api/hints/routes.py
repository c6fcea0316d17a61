"""Hint routes: list a task's hints; apply (one, or a task's at once), dismiss, undo; see, re-run or cancel
a task's analysis."""

from __future__ import annotations

from fastapi import APIRouter, Query

from kanban.api.deps import CurrentUserId, Services, Uow
from kanban.api.hints import handlers
from kanban.api.hints.schemas import AnalysisAccepted, AnalysisOut, HintOut, HintStatus
from kanban.api.problems import problem_responses

router = APIRouter(tags=["hints"])


@router.get("/tasks/{taskId}/hints", response_model=list[HintOut], responses=problem_responses(401, 404, 422))
async def list_hints(
    taskId: str, user_id: CurrentUserId, uow: Uow, status: HintStatus | None = Query(default=None)
) -> list[HintOut]:
    rows = await handlers.list_task_hints(taskId, user_id, status, uow)
    return [HintOut.model_validate(r) for r in rows]


@router.post("/hints/{hintId}/apply", response_model=HintOut, responses=problem_responses(401, 404, 409, 422))
async def apply_hint(hintId: str, user_id: CurrentUserId, uow: Uow, services: Services) -> HintOut:
    row = await handlers.apply_hint(handlers.HintCommand(user_id, hintId), uow, services.realtime)
    return HintOut.model_validate(row)


@router.post("/tasks/{taskId}/hints/apply", response_model=list[HintOut], responses=problem_responses(401, 404))
async def apply_task_hints(taskId: str, user_id: CurrentUserId, uow: Uow, services: Services) -> list[HintOut]:
    """Apply the task's proposed context, priority, duration, tags and next-action hints at once."""
    rows = await handlers.apply_task_hints(handlers.TaskCommand(user_id, taskId), uow, services.realtime)
    return [HintOut.model_validate(r) for r in rows]


@router.post("/hints/{hintId}/dismiss", response_model=HintOut, responses=problem_responses(401, 404, 409, 422))
async def dismiss_hint(hintId: str, user_id: CurrentUserId, uow: Uow, services: Services) -> HintOut:
    row = await handlers.dismiss_hint(handlers.HintCommand(user_id, hintId), uow, services.realtime)
    return HintOut.model_validate(row)


@router.post("/hints/{hintId}/undo", response_model=HintOut, responses=problem_responses(401, 404, 409, 422))
async def undo_hint(hintId: str, user_id: CurrentUserId, uow: Uow, services: Services) -> HintOut:
    row = await handlers.undo_hint(handlers.HintCommand(user_id, hintId), uow, services.realtime)
    return HintOut.model_validate(row)


@router.get("/tasks/{taskId}/analysis", response_model=AnalysisOut, responses=problem_responses(401, 404))
async def get_analysis(taskId: str, user_id: CurrentUserId, uow: Uow) -> AnalysisOut:
    row = await handlers.get_analysis(taskId, user_id, uow)
    if row is None:
        return AnalysisOut(task_id=taskId, status="pending")
    return AnalysisOut.model_validate(row)


@router.post(
    "/tasks/{taskId}/analysis", status_code=202, response_model=AnalysisAccepted, responses=problem_responses(401, 404)
)
async def request_analysis(taskId: str, user_id: CurrentUserId, uow: Uow) -> AnalysisAccepted:
    await handlers.request_analysis(handlers.TaskCommand(user_id, taskId), uow)
    return AnalysisAccepted(task_id=taskId, status="requested")


@router.delete(
    "/tasks/{taskId}/analysis", status_code=202, response_model=AnalysisAccepted, responses=problem_responses(401, 404)
)
async def cancel_analysis(taskId: str, user_id: CurrentUserId, uow: Uow) -> AnalysisAccepted:
    await handlers.cancel_analysis(handlers.TaskCommand(user_id, taskId), uow)
    return AnalysisAccepted(task_id=taskId, status="cancelling")

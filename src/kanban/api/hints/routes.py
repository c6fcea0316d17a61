"""Hint routes: list a task's hints, apply, dismiss, undo; re-run or cancel a task's analysis."""

from __future__ import annotations

from fastapi import APIRouter, Query

from kanban.api.deps import CurrentUserId, Services, Uow
from kanban.api.hints import handlers
from kanban.api.hints.schemas import AnalysisAccepted, HintOut, HintStatus
from kanban.api.problems import problem_responses

router = APIRouter(tags=["hints"])


@router.get("/tasks/{task_id}/hints", response_model=list[HintOut], responses=problem_responses(401, 404, 422))
async def list_hints(
    task_id: str, user_id: CurrentUserId, uow: Uow, status: HintStatus | None = Query(default=None)
) -> list[HintOut]:
    rows = await handlers.list_task_hints(task_id, user_id, status, uow)
    return [HintOut.model_validate(r) for r in rows]


@router.post("/hints/{hint_id}/apply", response_model=HintOut, responses=problem_responses(401, 404, 409, 422))
async def apply_hint(hint_id: str, user_id: CurrentUserId, uow: Uow, services: Services) -> HintOut:
    row = await handlers.apply_hint(handlers.HintCommand(user_id, hint_id), uow, services.realtime)
    return HintOut.model_validate(row)


@router.post("/hints/{hint_id}/dismiss", response_model=HintOut, responses=problem_responses(401, 404, 409, 422))
async def dismiss_hint(hint_id: str, user_id: CurrentUserId, uow: Uow, services: Services) -> HintOut:
    row = await handlers.dismiss_hint(handlers.HintCommand(user_id, hint_id), uow, services.realtime)
    return HintOut.model_validate(row)


@router.post("/hints/{hint_id}/undo", response_model=HintOut, responses=problem_responses(401, 404, 409, 422))
async def undo_hint(hint_id: str, user_id: CurrentUserId, uow: Uow, services: Services) -> HintOut:
    row = await handlers.undo_hint(handlers.HintCommand(user_id, hint_id), uow, services.realtime)
    return HintOut.model_validate(row)


@router.post(
    "/tasks/{task_id}/analysis", status_code=202, response_model=AnalysisAccepted, responses=problem_responses(401, 404)
)
async def request_analysis(task_id: str, user_id: CurrentUserId, uow: Uow) -> AnalysisAccepted:
    await handlers.request_analysis(handlers.AnalysisCommand(user_id, task_id), uow)
    return AnalysisAccepted(task_id=task_id, status="requested")


@router.delete(
    "/tasks/{task_id}/analysis", status_code=202, response_model=AnalysisAccepted, responses=problem_responses(401, 404)
)
async def cancel_analysis(task_id: str, user_id: CurrentUserId, uow: Uow) -> AnalysisAccepted:
    await handlers.cancel_analysis(handlers.AnalysisCommand(user_id, task_id), uow)
    return AnalysisAccepted(task_id=task_id, status="cancelling")

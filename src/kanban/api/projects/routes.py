"""HTTP for projects: /boards/{boardId}/projects and /projects/{projectId}. Thin: body in, command out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from sqlalchemy import Row

from kanban.api import limits
from kanban.api.deps import CurrentUserId, Uow
from kanban.api.problems import problem_responses
from kanban.api.projects import handlers
from kanban.api.projects.schemas import (
    CreateProjectRequest,
    ProjectResponse,
    ProjectStatus,
    TaskCounts,
    UpdateProjectRequest,
)
from kanban.api.schemas import Page

router = APIRouter(tags=["projects"])


def _project(row: Row) -> ProjectResponse:
    m = row._mapping
    return ProjectResponse(
        id=m["id"], board_id=m["board_id"], name=m["name"], description=m["description"],
        desired_outcome=m["desired_outcome"], status=m["status"], version=m["version"],
        task_counts=TaskCounts(open=int(m["open_tasks"]), done=int(m["done_tasks"])),
        created_at=m["created_at"], updated_at=m["updated_at"],
    )  # fmt: skip


@router.get(
    "/boards/{boardId}/projects", response_model=Page[ProjectResponse], responses=problem_responses(401, 404, 422)
)
async def list_projects(
    boardId: str,
    user_id: CurrentUserId,
    uow: Uow,
    project_status: Annotated[ProjectStatus | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=limits.MAX_OFFSET)] = 0,
) -> Page[ProjectResponse]:
    query = handlers.ListProjects(user_id=user_id, board_id=boardId, status=project_status, limit=limit, offset=offset)
    rows, total = await handlers.list_projects(query, uow)
    return Page[ProjectResponse](items=[_project(r) for r in rows], total=total, limit=limit, offset=offset)


@router.post(
    "/boards/{boardId}/projects",
    status_code=status.HTTP_201_CREATED,
    response_model=ProjectResponse,
    responses=problem_responses(401, 404, 422),
)
async def create_project(boardId: str, body: CreateProjectRequest, user_id: CurrentUserId, uow: Uow) -> ProjectResponse:
    cmd = handlers.CreateProject(user_id=user_id, board_id=boardId, **body.model_dump())
    return _project(await handlers.create_project(cmd, uow))


@router.get("/projects/{projectId}", response_model=ProjectResponse, responses=problem_responses(401, 404))
async def get_project(projectId: str, user_id: CurrentUserId, uow: Uow) -> ProjectResponse:
    return _project(await handlers.get_project(projectId, user_id, uow))


@router.patch("/projects/{projectId}", response_model=ProjectResponse, responses=problem_responses(401, 404, 422))
async def update_project(
    projectId: str, body: UpdateProjectRequest, user_id: CurrentUserId, uow: Uow
) -> ProjectResponse:
    cmd = handlers.UpdateProject(user_id=user_id, project_id=projectId, changes=body.model_dump(exclude_unset=True))
    return _project(await handlers.update_project(cmd, uow))


@router.delete("/projects/{projectId}", status_code=status.HTTP_204_NO_CONTENT, responses=problem_responses(401, 404))
async def delete_project(projectId: str, user_id: CurrentUserId, uow: Uow) -> Response:
    await handlers.delete_project(handlers.DeleteProject(user_id=user_id, project_id=projectId), uow)
    return Response(status_code=status.HTTP_204_NO_CONTENT)

"""HTTP for tasks: create, search, read (with ETag), update (If-Match), move, reorder, delete, history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Response, status
from pydantic import AwareDatetime

from kanban.api import limits
from kanban.api.deps import CurrentUserId, Uow
from kanban.api.ownership import owned_board, owned_task
from kanban.api.problems import problem_responses
from kanban.api.tables import task_events
from kanban.api.tasks import handlers
from kanban.api.tasks import repository as repo
from kanban.api.tasks.schemas import (
    CreateTaskRequest,
    MoveTaskRequest,
    ReorderTaskRequest,
    SortOrder,
    TaskEventPage,
    TaskOut,
    TaskPage,
    TaskSort,
    UpdateTaskRequest,
)
from kanban.contracts.events import ColumnType, TaskContext

router = APIRouter(tags=["tasks"])

IfMatch = Annotated[str | None, Header(alias="If-Match", description="The task's ETag (its version)")]
Limit = Annotated[int, Query(ge=1, le=200)]
Offset = Annotated[int, Query(ge=0, le=limits.MAX_OFFSET)]


def _with_etag(response: Response, task: TaskOut) -> TaskOut:
    response.headers["ETag"] = handlers.etag(task.version)
    return task


@router.post(
    "/boards/{boardId}/tasks",
    status_code=status.HTTP_201_CREATED,
    response_model=TaskOut,
    responses=problem_responses(401, 404, 409, 422),
)
async def create_task(
    boardId: str, body: CreateTaskRequest, user_id: CurrentUserId, uow: Uow, response: Response
) -> TaskOut:
    task = await handlers.create_task(handlers.CreateTask(user_id=user_id, board_id=boardId, body=body), uow)
    response.headers["Location"] = f"/api/v1/tasks/{task.id}"
    return _with_etag(response, task)


@router.get("/boards/{boardId}/tasks", response_model=TaskPage, responses=problem_responses(401, 404, 422))
async def search_tasks(
    boardId: str,
    user_id: CurrentUserId,
    uow: Uow,
    q: Annotated[str | None, Query(max_length=limits.MAX_SEARCH_CHARS)] = None,
    tag: str | None = None,
    context: TaskContext | None = None,
    projectId: str | None = None,
    columnType: ColumnType | None = None,
    dueBefore: AwareDatetime | None = None,
    dueAfter: AwareDatetime | None = None,
    done: bool | None = None,
    sort: TaskSort = "position",
    order: SortOrder = "asc",
    limit: Limit = 50,
    offset: Offset = 0,
) -> TaskPage:
    await owned_board(uow.conn, boardId, user_id)
    filters = repo.TaskFilter(
        q=q,
        tag=tag,
        context=context,
        project_id=projectId,
        column_type=columnType,
        due_before=dueBefore,
        due_after=dueAfter,
        done=done,
        sort=sort,
        order=order,
        limit=limit,
        offset=offset,
    )
    items, total = await repo.search(uow.conn, boardId, filters)
    return TaskPage(items=items, total=total, limit=limit, offset=offset)


@router.get("/tasks/{taskId}", response_model=TaskOut, responses=problem_responses(401, 404))
async def get_task(taskId: str, user_id: CurrentUserId, uow: Uow, response: Response) -> TaskOut:
    await owned_task(uow.conn, taskId, user_id)
    return _with_etag(response, await repo.load_task(uow.conn, taskId))


@router.patch("/tasks/{taskId}", response_model=TaskOut, responses=problem_responses(401, 404, 409, 412, 422))
async def update_task(
    taskId: str, body: UpdateTaskRequest, user_id: CurrentUserId, uow: Uow, response: Response, if_match: IfMatch = None
) -> TaskOut:
    cmd = handlers.UpdateTask(user_id=user_id, task_id=taskId, body=body, if_match=if_match)
    return _with_etag(response, await handlers.update_task(cmd, uow))


@router.delete("/tasks/{taskId}", status_code=status.HTTP_204_NO_CONTENT, responses=problem_responses(401, 404, 412))
async def delete_task(taskId: str, user_id: CurrentUserId, uow: Uow, if_match: IfMatch = None) -> Response:
    await handlers.delete_task(handlers.DeleteTask(user_id=user_id, task_id=taskId, if_match=if_match), uow)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/tasks/{taskId}/move", response_model=TaskOut, responses=problem_responses(401, 404, 409, 412, 422))
async def move_task(
    taskId: str, body: MoveTaskRequest, user_id: CurrentUserId, uow: Uow, response: Response, if_match: IfMatch = None
) -> TaskOut:
    cmd = handlers.MoveTask(
        user_id=user_id,
        task_id=taskId,
        column_id=body.column_id,
        position=body.position,
        wip_override=body.wip_override,
        if_match=if_match,
    )
    return _with_etag(response, await handlers.move_task(cmd, uow))


@router.post("/tasks/{taskId}/reorder", response_model=TaskOut, responses=problem_responses(401, 404, 422))
async def reorder_task(
    taskId: str, body: ReorderTaskRequest, user_id: CurrentUserId, uow: Uow, response: Response
) -> TaskOut:
    cmd = handlers.ReorderTask(user_id=user_id, task_id=taskId, position=body.position)
    return _with_etag(response, await handlers.reorder_task(cmd, uow))


@router.get("/tasks/{taskId}/events", response_model=TaskEventPage, responses=problem_responses(401, 404, 422))
async def task_events_page(
    taskId: str, user_id: CurrentUserId, uow: Uow, limit: Limit = 50, offset: Offset = 0
) -> TaskEventPage:
    items, total = await handlers.task_history(uow.conn, user_id, taskId, limit, offset)
    return TaskEventPage(items=items, total=total, limit=limit, offset=offset)


@router.get("/boards/{boardId}/events", response_model=TaskEventPage, responses=problem_responses(401, 404, 422))
async def board_events_page(
    boardId: str, user_id: CurrentUserId, uow: Uow, limit: Limit = 50, offset: Offset = 0
) -> TaskEventPage:
    await owned_board(uow.conn, boardId, user_id)
    items, total = await repo.event_page(uow.conn, task_events.c.board_id == boardId, limit, offset)
    return TaskEventPage(items=items, total=total, limit=limit, offset=offset)

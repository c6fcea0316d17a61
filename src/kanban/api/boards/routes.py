"""HTTP for boards: /boards, /boards/default, /boards/{boardId} (+ settings, stale). Thin: body in, command out;
the board itself goes out as the view's bytes with an ETag."""

from __future__ import annotations

import hashlib
from typing import Annotated

from fastapi import APIRouter, Header, Response, status

from kanban.api.analytics.stale import stale_after_days
from kanban.api.boards import handlers, view
from kanban.api.boards import repository as repo
from kanban.api.boards.schemas import (
    BoardDetail,
    BoardOut,
    BoardSettingsBody,
    CreateBoardRequest,
    StaleTasks,
    UpdateBoardRequest,
)
from kanban.api.deps import CurrentUserId, Uow
from kanban.api.ownership import owned_board
from kanban.api.problems import problem_responses
from kanban.api.tasks import repository as task_repo
from kanban.api.tasks.rules import BoardSettings

router = APIRouter(tags=["boards"])


@router.post(
    "/boards", status_code=status.HTTP_201_CREATED, response_model=BoardOut, responses=problem_responses(401, 422)
)
async def create_board(body: CreateBoardRequest, user_id: CurrentUserId, uow: Uow, response: Response) -> BoardOut:
    cmd = handlers.CreateBoard(user_id=user_id, name=body.name, description=body.description, settings=body.settings)
    board = await handlers.create_board(cmd, uow)
    response.headers["Location"] = f"/api/v1/boards/{board.id}"
    return board


@router.get("/boards", response_model=list[BoardOut], responses=problem_responses(401))
async def list_boards(user_id: CurrentUserId, uow: Uow) -> list[BoardOut]:
    return await repo.list_boards(uow.conn, user_id)


IfNoneMatch = Annotated[
    str | None, Header(alias="If-None-Match", description="The ETag of a board read before: 304 while it is the same")
]
BOARD_RESPONSES = {**problem_responses(401, 404), 304: {"description": "The board is as the If-None-Match ETag"}}


def _board_response(body: bytes, if_none_match: str | None) -> Response:
    """The board's JSON with an ETag of its bytes, or 304 when the client already holds them.

    The tag is of the content, not of a version: a card's `stale` flag and age change with the
    clock alone, so only the bytes say whether the client's copy is still the board."""
    tag = f'"{hashlib.blake2b(body, digest_size=16).hexdigest()}"'
    headers = {"ETag": tag, "Cache-Control": "private, no-cache"}
    if if_none_match is not None and tag in (t.strip().removeprefix("W/") for t in if_none_match.split(",")):
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


@router.get("/boards/default", response_model=BoardDetail, responses=BOARD_RESPONSES)
async def default_board(user_id: CurrentUserId, uow: Uow, if_none_match: IfNoneMatch = None) -> Response:
    board_id = await handlers.default_board(user_id, uow)
    return _board_response(view.encode(await view.board_view(uow.conn, board_id, user_id)), if_none_match)


@router.get("/boards/{boardId}", response_model=BoardDetail, responses=BOARD_RESPONSES)
async def get_board(boardId: str, user_id: CurrentUserId, uow: Uow, if_none_match: IfNoneMatch = None) -> Response:
    return _board_response(view.encode(await view.board_view(uow.conn, boardId, user_id)), if_none_match)


@router.patch("/boards/{boardId}", response_model=BoardOut, responses=problem_responses(401, 404, 422))
async def update_board(boardId: str, body: UpdateBoardRequest, user_id: CurrentUserId, uow: Uow) -> BoardOut:
    cmd = handlers.UpdateBoard(user_id=user_id, board_id=boardId, changes=body.model_dump(exclude_unset=True))
    return await handlers.update_board(cmd, uow)


@router.put("/boards/{boardId}/settings", response_model=BoardOut, responses=problem_responses(401, 404, 422))
@router.patch("/boards/{boardId}/settings", response_model=BoardOut, responses=problem_responses(401, 404, 422))
async def update_settings(boardId: str, body: BoardSettingsBody, user_id: CurrentUserId, uow: Uow) -> BoardOut:
    cmd = handlers.UpdateBoardSettings(user_id=user_id, board_id=boardId, settings=body)
    return await handlers.update_settings(cmd, uow)


@router.delete("/boards/{boardId}", status_code=status.HTTP_204_NO_CONTENT, responses=problem_responses(401, 404))
async def delete_board(boardId: str, user_id: CurrentUserId, uow: Uow) -> Response:
    await handlers.delete_board(handlers.DeleteBoard(user_id=user_id, board_id=boardId), uow)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/boards/{boardId}/stale", response_model=StaleTasks, responses=problem_responses(401, 404))
async def stale_tasks(boardId: str, user_id: CurrentUserId, uow: Uow) -> StaleTasks:
    """Tasks not moved for the board's staleAfterDays (or its own p85 cycle time, by the staleBasis
    setting), outside Done/Archive/Someday; computed now, never stored."""
    board = await owned_board(uow.conn, boardId, user_id)
    settings = BoardSettings.from_config(board.config)
    days = await stale_after_days(uow.conn, boardId, settings)
    rows = await repo.stale_rows(uow.conn, boardId, days)
    items = await task_repo.hydrate(uow.conn, rows, [r.id for r in rows])
    return StaleTasks(stale_after_days=days, stale_basis=settings.stale_basis, count=len(items), items=items)

"""HTTP for the calendar feed: issue, inspect and revoke the secret URL; the feed itself needs only the URL."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from kanban.api.calendar import handlers
from kanban.api.calendar.schemas import FeedStatusOut, IssuedFeedOut
from kanban.api.deps import CurrentUserId, Services, Uow
from kanban.api.problems import problem_responses

router = APIRouter(tags=["calendar"])


@router.post(
    "/calendar-feed", status_code=status.HTTP_201_CREATED, response_model=IssuedFeedOut,
    responses=problem_responses(401),
)  # fmt: skip
async def issue_feed(user_id: CurrentUserId, uow: Uow, services: Services, response: Response) -> IssuedFeedOut:
    """A new secret URL; the previous one stops working."""
    response.headers["Cache-Control"] = "no-store"
    issued = await handlers.issue_feed(user_id, services.settings.public_url, uow)
    return IssuedFeedOut(url=issued.url, created_at=issued.created_at)


@router.get("/calendar-feed", response_model=FeedStatusOut, responses=problem_responses(401))
async def feed_status(user_id: CurrentUserId, uow: Uow) -> FeedStatusOut:
    row = await handlers.feed_status(user_id, uow)
    return FeedStatusOut(active=row is not None, created_at=row.created_at if row is not None else None)


@router.delete("/calendar-feed", status_code=status.HTTP_204_NO_CONTENT, responses=problem_responses(401, 404))
async def revoke_feed(user_id: CurrentUserId, uow: Uow) -> Response:
    await handlers.revoke_feed(user_id, uow)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/calendar/{feedToken}.ics",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}, "description": "iCalendar"}, **problem_responses(404)},
)
async def calendar(feedToken: str, uow: Uow, services: Services) -> Response:
    body = await handlers.render_feed(feedToken, services.settings.public_url, uow)
    return Response(body, media_type="text/calendar; charset=utf-8", headers={"Cache-Control": "private, max-age=300"})

"""HTTP for the digest: its settings (signed in), and the pages its links open (no sign-in: the link is the key).

A GET only shows a page with a button; the POST it sends acts. Link scanners that follow every
GET in a mail therefore change nothing.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from kanban.api.capture.repository import user_timezone
from kanban.api.deps import CurrentUserId, Services, Uow
from kanban.api.digest import handlers, pages
from kanban.api.digest.schemas import DigestSettingsIn, DigestSettingsOut
from kanban.api.errors import DomainError
from kanban.api.problems import problem_responses

router = APIRouter(tags=["digest"])
HTML = {"content": {"text/html": {}}, "description": "An HTML page"}
NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


@router.get("/digest", response_model=DigestSettingsOut, responses=problem_responses(401))
async def get_digest(user_id: CurrentUserId, uow: Uow, services: Services) -> DigestSettingsOut:
    enabled, hour = await handlers.get_subscription(user_id, uow)
    zone, _ = await user_timezone(uow.conn, user_id)
    return DigestSettingsOut(
        enabled=enabled, hour=hour, timezone=zone, smtp_configured=services.settings.smtp is not None
    )


@router.put("/digest", response_model=DigestSettingsOut, responses=problem_responses(401, 422))
async def put_digest(body: DigestSettingsIn, user_id: CurrentUserId, uow: Uow, services: Services) -> DigestSettingsOut:
    await handlers.set_subscription(user_id, body.enabled, body.hour, uow)
    return await get_digest(user_id, uow, services)


def _html(body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(body, status_code=status, headers=NO_STORE)


def _problem_page(exc: DomainError) -> HTMLResponse:
    return _html(pages.problem_page(exc.title, exc.detail), exc.status)


@router.get("/mail-actions/{token}", response_class=HTMLResponse, responses={200: HTML, 404: HTML, 410: HTML})
async def confirm_action(token: str, uow: Uow) -> HTMLResponse:
    try:
        row, title = await handlers.open_link(token, uow)
    except DomainError as exc:
        return _problem_page(exc)
    return _html(pages.confirm_page(row.action, title))


@router.post(
    "/mail-actions/{token}", response_class=HTMLResponse, responses={200: HTML, 404: HTML, 409: HTML, 410: HTML}
)
async def perform_action(token: str, uow: Uow) -> HTMLResponse:
    try:
        action, title = await handlers.use_link(token, uow)
    except DomainError as exc:
        return _problem_page(exc)
    return _html(pages.done_page(action, title))


@router.get("/digest/unsubscribe/{token}", response_class=HTMLResponse, responses={200: HTML, 404: HTML})
async def confirm_unsubscribe(token: str, services: Services) -> HTMLResponse:
    try:
        handlers.user_of_unsubscribe_token(token, services.settings.jwt_secret)
    except DomainError as exc:
        return _problem_page(exc)
    return _html(pages.unsubscribe_page(confirmed=False))


@router.post("/digest/unsubscribe/{token}", response_class=HTMLResponse, responses={200: HTML, 404: HTML})
async def unsubscribe(token: str, uow: Uow, services: Services) -> HTMLResponse:
    try:
        await handlers.unsubscribe(token, services.settings.jwt_secret, uow)
    except DomainError as exc:
        return _problem_page(exc)
    return _html(pages.unsubscribe_page(confirmed=True))

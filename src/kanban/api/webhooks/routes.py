"""HTTP for outgoing webhooks: /webhooks and /webhooks/{id}/deliveries. Thin; a signed-in user only, like /tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from kanban.api.deps import CurrentUserId, Services, Uow
from kanban.api.problems import problem_responses
from kanban.api.schemas import Page
from kanban.api.webhooks import handlers
from kanban.api.webhooks.schemas import CreatedWebhookOut, CreateWebhookRequest, DeliveryOut, WebhookOut

router = APIRouter(tags=["webhooks"])


@router.post(
    "/webhooks",
    status_code=status.HTTP_201_CREATED,
    response_model=CreatedWebhookOut,
    responses=problem_responses(401, 403, 422),
)
async def create_webhook(
    body: CreateWebhookRequest, user_id: CurrentUserId, uow: Uow, services: Services, response: Response
) -> CreatedWebhookOut:
    response.headers["Cache-Control"] = "no-store"
    cmd = handlers.CreateWebhook(user_id=user_id, name=body.name, url=body.url)
    return await handlers.create_webhook(cmd, services.webhook_sender, uow)


@router.get("/webhooks", response_model=list[WebhookOut], responses=problem_responses(401, 403))
async def list_webhooks(user_id: CurrentUserId, uow: Uow) -> list[WebhookOut]:
    return await handlers.list_webhooks(user_id, uow)


@router.delete(
    "/webhooks/{webhookId}", status_code=status.HTTP_204_NO_CONTENT, responses=problem_responses(401, 403, 404)
)
async def delete_webhook(webhookId: str, user_id: CurrentUserId, uow: Uow) -> Response:
    await handlers.delete_webhook(webhookId, user_id, uow)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/webhooks/{webhookId}/deliveries",
    response_model=Page[DeliveryOut],
    responses=problem_responses(401, 403, 404, 422),
)
async def list_deliveries(
    webhookId: str, user_id: CurrentUserId, uow: Uow,
    limit: Annotated[int, Query(ge=1, le=200)] = 50, offset: Annotated[int, Query(ge=0)] = 0,
) -> Page[DeliveryOut]:  # fmt: skip
    """Newest first: pending (with the next attempt), delivered, or failed with the last status and error."""
    items, total = await handlers.list_deliveries(webhookId, user_id, limit, offset, uow)
    return Page[DeliveryOut](items=items, total=total, limit=limit, offset=offset)

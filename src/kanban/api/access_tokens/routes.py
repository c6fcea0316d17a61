"""HTTP for personal access tokens: /tokens. Only a signed-in user (not a token) manages them."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from kanban.api.access_tokens import handlers
from kanban.api.access_tokens.schemas import CreatedTokenOut, CreateTokenRequest, TokenOut
from kanban.api.deps import CurrentPrincipal, Uow
from kanban.api.problems import problem_responses

router = APIRouter(tags=["tokens"])


@router.post(
    "/tokens",
    status_code=status.HTTP_201_CREATED,
    response_model=CreatedTokenOut,
    responses=problem_responses(401, 403, 422),
)
async def create_token(
    body: CreateTokenRequest, principal: CurrentPrincipal, uow: Uow, response: Response
) -> CreatedTokenOut:
    response.headers["Cache-Control"] = "no-store"
    cmd = handlers.CreateToken(
        principal=principal, name=body.name, scopes=list(body.scopes), expires_in_days=body.expires_in_days
    )
    return await handlers.create_token(cmd, uow)


@router.get("/tokens", response_model=list[TokenOut], responses=problem_responses(401, 403))
async def list_tokens(principal: CurrentPrincipal, uow: Uow) -> list[TokenOut]:
    return await handlers.list_tokens(principal, uow)


@router.delete("/tokens/{tokenId}", status_code=status.HTTP_204_NO_CONTENT, responses=problem_responses(401, 403, 404))
async def revoke_token(tokenId: str, principal: CurrentPrincipal, uow: Uow) -> Response:
    await handlers.revoke_token(handlers.RevokeToken(principal=principal, token_id=tokenId), uow)
    return Response(status_code=status.HTTP_204_NO_CONTENT)

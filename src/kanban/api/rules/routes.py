"""HTTP for rules: /boards/{boardId}/rules and /rules/{ruleId}. Thin: body in, command out."""

from __future__ import annotations

from fastapi import APIRouter, Response, status
from sqlalchemy import Row

from kanban.api.deps import CurrentUserId, Uow
from kanban.api.problems import problem_responses
from kanban.api.rules import handlers
from kanban.api.rules.schemas import CreateRuleRequest, RuleResponse, UpdateRuleRequest

router = APIRouter(tags=["rules"])


def _rule(row: Row) -> RuleResponse:
    m = dict(row._mapping)
    m["conditions"] = m["conditions"] or []
    return RuleResponse.model_validate(m)


@router.get("/boards/{boardId}/rules", response_model=list[RuleResponse], responses=problem_responses(401, 404))
async def list_rules(boardId: str, user_id: CurrentUserId, uow: Uow) -> list[RuleResponse]:
    return [_rule(row) for row in await handlers.list_rules(boardId, user_id, uow)]


@router.post(
    "/boards/{boardId}/rules",
    status_code=status.HTTP_201_CREATED,
    response_model=RuleResponse,
    responses=problem_responses(401, 404, 422),
)
async def create_rule(boardId: str, body: CreateRuleRequest, user_id: CurrentUserId, uow: Uow) -> RuleResponse:
    document = body.model_dump(by_alias=True, mode="json", include={"trigger", "conditions", "actions"})
    cmd = handlers.CreateRule(
        user_id=user_id, board_id=boardId, name=body.name, description=body.description, enabled=body.enabled,
        priority=body.priority, **document,
    )  # fmt: skip
    return _rule(await handlers.create_rule(cmd, uow))


@router.get("/rules/{ruleId}", response_model=RuleResponse, responses=problem_responses(401, 404))
async def get_rule(ruleId: str, user_id: CurrentUserId, uow: Uow) -> RuleResponse:
    return _rule(await handlers.get_rule(ruleId, user_id, uow))


@router.patch("/rules/{ruleId}", response_model=RuleResponse, responses=problem_responses(401, 404, 422))
async def update_rule(ruleId: str, body: UpdateRuleRequest, user_id: CurrentUserId, uow: Uow) -> RuleResponse:
    # Every field is one word, so the wire names are the column names.
    changes = body.model_dump(by_alias=True, mode="json", exclude_unset=True)
    cmd = handlers.UpdateRule(user_id=user_id, rule_id=ruleId, changes=changes)
    return _rule(await handlers.update_rule(cmd, uow))


@router.delete("/rules/{ruleId}", status_code=status.HTTP_204_NO_CONTENT, responses=problem_responses(401, 404))
async def delete_rule(ruleId: str, user_id: CurrentUserId, uow: Uow) -> Response:
    await handlers.delete_rule(handlers.DeleteRule(user_id=user_id, rule_id=ruleId), uow)
    return Response(status_code=status.HTTP_204_NO_CONTENT)

"""HTTP for rules: /boards/{boardId}/rules, /rules/{ruleId} (runs, dry-run, run now) and /rule-presets. Thin."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from sqlalchemy import Row

from kanban.api.deps import CurrentUserId, Uow
from kanban.api.problems import problem_responses
from kanban.api.rules import handlers
from kanban.api.rules.engine import RunOutcome
from kanban.api.rules.presets import PRESETS
from kanban.api.rules.schemas import (
    CreateRuleRequest,
    DraftDryRunRequest,
    DryRunRequest,
    DryRunResponse,
    DryRunTask,
    ManualRunRequest,
    ManualRunResponse,
    ManualRunResult,
    PresetResponse,
    RuleResponse,
    RunResponse,
    UpdateRuleRequest,
    stored_document,
)
from kanban.api.schemas import Page

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
    document = stored_document(body)
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
    changes = {**body.model_dump(by_alias=True, mode="json", exclude_unset=True), **stored_document(body)}
    cmd = handlers.UpdateRule(user_id=user_id, rule_id=ruleId, changes=changes)
    return _rule(await handlers.update_rule(cmd, uow))


@router.delete("/rules/{ruleId}", status_code=status.HTTP_204_NO_CONTENT, responses=problem_responses(401, 404))
async def delete_rule(ruleId: str, user_id: CurrentUserId, uow: Uow) -> Response:
    await handlers.delete_rule(handlers.DeleteRule(user_id=user_id, rule_id=ruleId), uow)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _run(row: Row) -> RunResponse:
    m = dict(row._mapping)
    detail = m.pop("detail") or {}
    return RunResponse.model_validate({**m, "changes": detail.get("changes") or [], "reason": detail.get("reason")})


@router.get("/rules/{ruleId}/runs", response_model=Page[RunResponse], responses=problem_responses(401, 404, 422))
async def list_runs(
    ruleId: str, user_id: CurrentUserId, uow: Uow,
    limit: Annotated[int, Query(ge=1, le=200)] = 50, offset: Annotated[int, Query(ge=0)] = 0,
) -> Page[RunResponse]:  # fmt: skip
    rows, total = await handlers.list_runs(ruleId, user_id, limit, offset, uow)
    return Page[RunResponse](items=[_run(r) for r in rows], total=total, limit=limit, offset=offset)


@router.post("/rules/{ruleId}/dry-run", response_model=DryRunResponse, responses=problem_responses(401, 404, 422))
async def dry_run(ruleId: str, user_id: CurrentUserId, uow: Uow, body: DryRunRequest | None = None) -> DryRunResponse:
    """Which tasks the rule would act on and what it would change; nothing is written."""
    return _dry_run(await handlers.dry_run(ruleId, user_id, body.task_ids if body else None, uow))


@router.post(
    "/boards/{boardId}/rules/dry-run", response_model=DryRunResponse, responses=problem_responses(401, 404, 422)
)
async def dry_run_draft(boardId: str, body: DraftDryRunRequest, user_id: CurrentUserId, uow: Uow) -> DryRunResponse:
    """Preview a rule before saving it: the same validation as creating it, and nothing is written."""
    cmd = handlers.CreateRule(
        user_id=user_id, board_id=boardId, name=body.name, priority=body.priority, **stored_document(body)
    )
    return _dry_run(await handlers.dry_run_draft(cmd, body.task_ids, uow))


def _dry_run(result: handlers.DryRun) -> DryRunResponse:
    return DryRunResponse(
        rule_id=result.rule_id,
        board_changes=result.board_changes,
        tasks=[DryRunTask.model_validate(t, from_attributes=True) for t in result.tasks],
    )


def _outcome(task_id: str, outcome: RunOutcome) -> ManualRunResult:
    return ManualRunResult.model_validate(
        {"taskId": task_id, "status": outcome.status, "changes": outcome.changes, "reason": outcome.reason}
    )


@router.post("/rules/{ruleId}/run", response_model=ManualRunResponse, responses=problem_responses(401, 404, 422))
async def run_now(
    ruleId: str, user_id: CurrentUserId, uow: Uow, body: ManualRunRequest | None = None
) -> ManualRunResponse:
    """Run the rule now on the chosen tasks: the manual trigger. Conditions apply; each run is logged."""
    # The request's unit of work announces its task changes on the board streams itself.
    outcomes = await handlers.run_now(ruleId, user_id, body.task_ids if body else [], uow)
    return ManualRunResponse(results=[_outcome(task_id, outcome) for task_id, outcome in outcomes])


@router.get("/rule-presets", response_model=list[PresetResponse], responses=problem_responses(401))
async def list_presets(_: CurrentUserId) -> list[PresetResponse]:
    return [
        PresetResponse.model_validate(
            {
                "key": p.key,
                "name": p.name,
                "description": p.description,
                "trigger": p.trigger,
                "conditions": p.conditions,
                "actions": p.actions,
            }
        )  # fmt: skip
        for p in PRESETS
    ]


@router.post(
    "/boards/{boardId}/rule-presets/{presetKey}",
    status_code=status.HTTP_201_CREATED,
    response_model=RuleResponse,
    responses=problem_responses(401, 404, 422),
)
async def install_preset(boardId: str, presetKey: str, user_id: CurrentUserId, uow: Uow) -> RuleResponse:
    """Add a preset to the board as an ordinary rule (enabled); edit or disable it like any other."""
    return _rule(await handlers.install_preset(boardId, presetKey, user_id, uow))

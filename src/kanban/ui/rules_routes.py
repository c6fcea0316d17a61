"""The rules pages: a board's rules and presets, the rule editor, its dry-run preview and run history.

Reads call the JSON API's own route functions; saving, toggling, deleting and installing presets go
from the page to /api/v1 (see ui/routes.py). The editor's parts come from `rule_vocabulary`, so a
kind the API learns is offered here without a template change.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Response
from fastapi.routing import APIRoute
from sqlalchemy import select
from starlette.responses import HTMLResponse, JSONResponse

from kanban.api.deps import CurrentUserId, Uow
from kanban.api.rules import routes as rules_api
from kanban.api.rules.presets import PRESETS_BY_KEY
from kanban.api.rules.schemas import DraftDryRunRequest, RuleResponse
from kanban.api.tables import tasks
from kanban.messaging.unit_of_work import UnitOfWork
from kanban.ui.render import environment, page
from kanban.ui.routes import PageRoute, _shell
from kanban.ui.rule_editor import editor_document, fits_the_form, load_editor
from kanban.ui.rule_words import action_words, change_words, condition_words, trigger_words

router = APIRouter(route_class=PageRoute, include_in_schema=False)
RUNS_SHOWN = 50
NEW_RULE: dict[str, Any] = {
    "name": "", "description": None, "enabled": True, "priority": 100,
    "trigger": {"type": "task.created", "config": {}}, "conditions": [],
    "actions": [{"type": "move_to_type", "config": {"columnType": "CONTEXT"}}],
}  # fmt: skip
environment.filters.update(change_words=change_words)


def _parts() -> Any:
    return environment.get_template("_rule_parts.html").module


def _summary(rule: RuleResponse, names: dict[str, str]) -> str:
    words = trigger_words(rule.trigger.model_dump(by_alias=True), names)
    conditions = [condition_words(c.model_dump(by_alias=True), names) for c in rule.conditions]
    return f"{words}, if {' and '.join(conditions)}" if conditions else words


@router.get("/boards/{boardId}/rules")
async def rules_page(boardId: str, user_id: CurrentUserId, uow: Uow) -> Response:
    rules = await rules_api.list_rules(boardId, user_id, uow)
    presets = await rules_api.list_presets(user_id)
    editor = await load_editor(boardId, user_id, uow)
    names = editor.names
    summaries = {r.id: _summary(r, names) for r in rules}
    actions = {r.id: [action_words(a.model_dump(by_alias=True), names) for a in r.actions] for r in rules}
    shell = await _shell(user_id, uow, boardId)
    return page(
        "rules.html", rules=rules, presets=presets, summaries=summaries, actions=actions,
        installed={r.name for r in rules}, **shell,
    )  # fmt: skip


@router.get("/boards/{boardId}/rules/new")
async def new_rule_page(boardId: str, user_id: CurrentUserId, uow: Uow, preset: str | None = None) -> Response:
    """A blank rule, or a preset to change before saving it (`?preset=key`)."""
    document = dict(NEW_RULE)
    if preset in PRESETS_BY_KEY:
        p = PRESETS_BY_KEY[preset]
        document.update(name=p.name, description=p.description, trigger=p.trigger, conditions=p.conditions,
                        actions=p.actions)  # fmt: skip
    return await _rule_editor(boardId, user_id, uow, document, None, [])


@router.get("/rules/{ruleId}")
async def rule_page(ruleId: str, user_id: CurrentUserId, uow: Uow) -> Response:
    rule = await rules_api.get_rule(ruleId, user_id, uow)
    runs = await rules_api.list_runs(ruleId, user_id, uow, RUNS_SHOWN, 0)
    return await _rule_editor(rule.board_id, user_id, uow, editor_document(rule), rule, await _with_titles(runs, uow))


async def _rule_editor(
    board_id: str, user_id: str, uow: UnitOfWork, document: dict[str, Any], rule: RuleResponse | None,
    runs: list[dict[str, Any]],
) -> Response:  # fmt: skip
    editor = await load_editor(board_id, user_id, uow)
    shell = await _shell(user_id, uow, board_id)
    return page(
        "rule.html", rule=rule, document=document, document_json=json.dumps(document, indent=2),
        structured=fits_the_form(document), editor=editor, parts=_parts(), runs=runs, **shell,
    )  # fmt: skip


async def _with_titles(runs: Any, uow: UnitOfWork) -> list[dict[str, Any]]:
    """The run log's page with each run's task title (None once the task is deleted)."""
    ids = {r.task_id for r in runs.items if r.task_id}
    titles = dict((await uow.conn.execute(select(tasks.c.id, tasks.c.title).where(tasks.c.id.in_(ids)))).all())
    return [{"run": r, "title": titles.get(r.task_id)} for r in runs.items]


@router.get("/ui/rules/{ruleId}/runs")
async def runs_fragment(ruleId: str, user_id: CurrentUserId, uow: Uow) -> Response:
    runs = await rules_api.list_runs(ruleId, user_id, uow, RUNS_SHOWN, 0)
    return page("_rule_runs.html", runs=await _with_titles(runs, uow), rule_id=ruleId)


@router.get("/ui/boards/{boardId}/rules/parts/{part}")
async def part_fragment(
    boardId: str, part: str, user_id: CurrentUserId, uow: Uow, type: str | None = None, uid: str | None = None,
    field: str | None = None, operator: str | None = None, value: str | None = None,
) -> Response:  # fmt: skip
    """One part of the editor for a chosen kind: the trigger, a new or changed action, a condition row."""
    editor = await load_editor(boardId, user_id, uow)
    uid = editor.uid(uid)
    parts = _parts()
    if part == "trigger":
        html = parts.trigger_part({"type": type or "task.created", "config": {}}, editor, uid)
    elif part == "action":
        html = parts.action_row({"type": type or "move_to_type", "config": {}}, editor, uid)
    elif part == "condition":
        wanted = {"field": field or "title", "operator": operator or "eq", "value": value}
        html = parts.condition_row(wanted, editor, uid)
    else:
        return HTMLResponse("not a part of a rule", status_code=404)
    return HTMLResponse(str(html))


async def dry_run_fragment(
    boardId: str, body: DraftDryRunRequest, user_id: CurrentUserId, uow: Uow, rule: str | None = None
) -> Response:
    """The preview of the rule as the form holds it, through the API's own draft dry-run (nothing is
    written). JSON with the rendered HTML, so the page's API client handles CSRF and 422 problems.
    For a saved `rule`, the preview offers to run it now on the tasks that match (the manual run)."""
    result = await rules_api.dry_run_draft(boardId, body, user_id, uow)
    matching = [t for t in result.tasks if t.matches]
    others = [t for t in result.tasks if not t.matches]
    html = environment.get_template("_rule_preview.html").render(
        result=result,
        matching=matching,
        others=others,
        rule_id=rule,
        task_ids=json.dumps([t.task_id for t in matching]),
    )
    return JSONResponse({"html": html})


# A plain route, not a page: signed out, the editor's fetch gets the 401 problem, not the sign-in page.
router.add_api_route(
    "/ui/boards/{boardId}/rules/dry-run", dry_run_fragment, methods=["POST"], route_class_override=APIRoute
)

"""The rules pages: a board's rules and presets, the rule editor, its dry-run preview and run history.

Reads call the JSON API's own route functions; saving, toggling, deleting and installing presets go
from the page to /api/v1 (see ui/routes.py). The editor's parts come from `rule_vocabulary`, so a
kind the API learns is offered here without a template change.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Response
from fastapi.routing import APIRoute
from sqlalchemy import select
from starlette.responses import HTMLResponse, JSONResponse

from kanban.api.deps import CurrentUserId, Uow
from kanban.api.ownership import owned_board
from kanban.api.projects import routes as projects_api
from kanban.api.rules import repository as rules_repo
from kanban.api.rules import routes as rules_api
from kanban.api.rules.legacy import normalize_document
from kanban.api.rules.presets import PRESETS_BY_KEY
from kanban.api.rules.schemas import DraftDryRunRequest, RuleResponse
from kanban.api.tables import tasks
from kanban.api.templates import routes as templates_api
from kanban.db.types import new_id
from kanban.messaging.unit_of_work import UnitOfWork
from kanban.ui.render import environment, page
from kanban.ui.routes import PageRoute, _shell
from kanban.ui.rule_vocabulary import CHOICES, CONDITION_FIELDS, OPERATORS, FieldSpec, Kind, vocabulary
from kanban.ui.rule_words import action_words, change_words, condition_words, trigger_words

router = APIRouter(route_class=PageRoute, include_in_schema=False)
RUNS_SHOWN = 50
NEW_RULE: dict[str, Any] = {
    "name": "", "description": None, "enabled": True, "priority": 100,
    "trigger": {"type": "task.created", "config": {}}, "conditions": [],
    "actions": [{"type": "move_to_type", "config": {"columnType": "CONTEXT"}}],
}  # fmt: skip
environment.filters.update(change_words=change_words)


@dataclass
class Editor:
    """What every part of the editor needs: the board's own choices, the vocabulary, fresh element ids."""

    board_id: str
    columns: list[tuple[str, str]]
    projects: list[tuple[str, str]]
    templates: list[tuple[str, str]]
    _ids: itertools.count[int] = field(default_factory=itertools.count)

    @property
    def names(self) -> dict[str, str]:
        return dict(self.columns)

    def uid(self, given: str | None = None) -> str:
        """An id prefix for one part; a part re-rendered for a new kind keeps its own (and so its focus)."""
        if given and given.isalnum() and len(given) <= 16:
            return given
        return f"{new_id()[:6]}{next(self._ids)}"

    def kinds(self, part: str) -> tuple[Kind, ...]:
        return vocabulary().triggers if part == "trigger" else vocabulary().actions

    def kind(self, part: str, type_: str) -> Kind:
        found = next((k for k in self.kinds(part) if k.type == type_), None)
        return found or Kind(type_, f"Unknown: {type_}", ())

    def choices(self, widget: str, spec: FieldSpec | None = None) -> list[tuple[str, str]]:
        board = {"column": self.columns, "project": self.projects, "template": self.templates}
        if widget in board:
            return board[widget]
        return list(spec.options) if spec else list(CHOICES.get(widget, ()))

    @staticmethod
    def empty_label(spec: FieldSpec, part: str) -> str:
        if spec.required:
            return "None (clear it)" if spec.nullable else "Choose…"
        return "Any" if part == "trigger" else "Default"

    @staticmethod
    def condition_fields() -> dict[str, tuple[str, str]]:
        return CONDITION_FIELDS

    @staticmethod
    def operators() -> dict[str, str]:
        return OPERATORS


async def _editor(board_id: str, user_id: str, uow: UnitOfWork) -> Editor:
    await owned_board(uow.conn, board_id, user_id)
    columns = await rules_repo.board_columns(uow.conn, board_id)
    projects = await projects_api.list_projects(board_id, user_id, uow, None, 500, 0)
    templates = await templates_api.list_templates(board_id, user_id, uow)
    return Editor(
        board_id, [(c.id, c.name) for c in columns], [(p.id, p.name) for p in projects.items],
        [(t.id, t.name) for t in templates],
    )  # fmt: skip


def _parts() -> Any:
    return environment.get_template("_rule_parts.html").module


def _fits(document: dict[str, Any]) -> bool:
    """Whether the structured form can show the rule without losing anything (else: JSON only)."""
    vocab = vocabulary()
    return vocab.trigger(str(document["trigger"].get("type"))) is not None and all(
        vocab.action(str(a.get("type"))) is not None for a in document["actions"]
    )


def _document(rule: RuleResponse) -> dict[str, Any]:
    """The rule as the editor shows it, legacy shapes translated the way the engine reads them."""
    stored = rule.model_dump(by_alias=True, mode="json")
    trigger, conditions, actions = normalize_document(stored["trigger"], stored["conditions"], stored["actions"])
    keep = {k: stored[k] for k in ("name", "description", "enabled", "priority")}
    return {**keep, "trigger": trigger, "conditions": conditions, "actions": actions}


def _summary(rule: RuleResponse, names: dict[str, str]) -> str:
    words = trigger_words(rule.trigger.model_dump(by_alias=True), names)
    conditions = [condition_words(c.model_dump(by_alias=True), names) for c in rule.conditions]
    return f"{words}, if {' and '.join(conditions)}" if conditions else words


@router.get("/boards/{boardId}/rules")
async def rules_page(boardId: str, user_id: CurrentUserId, uow: Uow) -> Response:
    rules = await rules_api.list_rules(boardId, user_id, uow)
    presets = await rules_api.list_presets(user_id)
    editor = await _editor(boardId, user_id, uow)
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
    return await _rule_editor(rule.board_id, user_id, uow, _document(rule), rule, await _with_titles(runs, uow))


async def _rule_editor(
    board_id: str, user_id: str, uow: UnitOfWork, document: dict[str, Any], rule: RuleResponse | None,
    runs: list[dict[str, Any]],
) -> Response:  # fmt: skip
    editor = await _editor(board_id, user_id, uow)
    shell = await _shell(user_id, uow, board_id)
    return page(
        "rule.html", rule=rule, document=document, document_json=json.dumps(document, indent=2),
        structured=_fits(document), editor=editor, parts=_parts(), runs=runs, **shell,
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
    editor = await _editor(boardId, user_id, uow)
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

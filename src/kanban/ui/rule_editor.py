"""The rule editor's state for one page or part: the board's own choices, the vocabulary, element ids.

It also says whether a stored rule fits the structured form (else the page offers JSON only).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from kanban.api.ownership import owned_board
from kanban.api.projects import routes as projects_api
from kanban.api.rules import repository as rules_repo
from kanban.api.rules.legacy import normalize_document
from kanban.api.rules.schemas import RuleResponse
from kanban.api.templates import routes as templates_api
from kanban.api.webhooks import repository as webhooks_repo
from kanban.db.types import new_id
from kanban.messaging.unit_of_work import UnitOfWork
from kanban.ui.rule_vocabulary import CHOICES, CONDITION_FIELDS, OPERATORS, FieldSpec, Kind, vocabulary


@dataclass
class Editor:
    """What every part of the editor needs: the board's own choices, the vocabulary, fresh element ids."""

    board_id: str
    columns: list[tuple[str, str]]
    projects: list[tuple[str, str]]
    templates: list[tuple[str, str]]
    webhooks: list[tuple[str, str]] = field(default_factory=list)
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
        board = {"column": self.columns, "project": self.projects, "template": self.templates, "webhook": self.webhooks}
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


async def load_editor(board_id: str, user_id: str, uow: UnitOfWork) -> Editor:
    await owned_board(uow.conn, board_id, user_id)
    columns = await rules_repo.board_columns(uow.conn, board_id)
    projects = await projects_api.list_projects(board_id, user_id, uow, None, 500, 0)
    templates = await templates_api.list_templates(board_id, user_id, uow)
    webhooks = await webhooks_repo.user_webhooks(uow.conn, user_id)
    return Editor(
        board_id, [(c.id, c.name) for c in columns], [(p.id, p.name) for p in projects.items],
        [(t.id, t.name) for t in templates], [(w.id, w.name) for w in webhooks],
    )  # fmt: skip


def fits_the_form(document: dict[str, Any]) -> bool:
    """Whether the structured form can show the rule without losing anything (else: JSON only)."""
    vocab = vocabulary()
    return (
        vocab.trigger(str(document["trigger"].get("type"))) is not None
        and all(vocab.action(str(a.get("type"))) is not None for a in document["actions"])
        and all(c.get("field") in CONDITION_FIELDS and c.get("operator") in OPERATORS for c in document["conditions"])
    )


def editor_document(rule: RuleResponse) -> dict[str, Any]:
    """The rule as the editor shows it, legacy shapes translated the way the engine reads them."""
    stored = rule.model_dump(by_alias=True, mode="json")
    trigger, conditions, actions = normalize_document(stored["trigger"], stored["conditions"], stored["actions"])
    keep = {k: stored[k] for k in ("name", "description", "enabled", "priority")}
    return {**keep, "trigger": trigger, "conditions": conditions, "actions": actions}

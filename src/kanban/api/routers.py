"""The one list of the API's routers; each aggregate folder contributes its own `routes.router`."""

from __future__ import annotations

import importlib

from fastapi import FastAPI

from kanban.api.problems import problem_responses

# Each entry is a module exposing `router`; a folder per aggregate, same file names everywhere.
ROUTER_MODULES: tuple[str, ...] = (
    "kanban.api.boards.routes",
    "kanban.api.columns.routes",
    "kanban.api.tasks.routes",
    "kanban.api.clarify.routes",
    "kanban.api.accounts.routes",
    "kanban.api.tags.routes",
    "kanban.api.projects.routes",
    "kanban.api.rules.routes",
    "kanban.api.templates.routes",
    "kanban.api.checklists.routes",
    "kanban.api.hints.routes",
    "kanban.api.realtime.routes",
    "kanban.api.analytics.routes",
    "kanban.api.portability.routes",
    "kanban.api.capture.routes",
    "kanban.api.access_tokens.routes",
    "kanban.api.calendar.routes",
    "kanban.api.digest.routes",
    "kanban.api.webhooks.routes",
)


def include_routers(app: FastAPI, prefix: str) -> None:
    for name in ROUTER_MODULES:
        module = importlib.import_module(name)
        # Any route with a body can meet malformed JSON or too large a body: documented once, here.
        app.include_router(module.router, prefix=prefix, responses=problem_responses(400, 413))

"""The one list of the API's routers; each aggregate folder contributes its own `routes.router`."""

from __future__ import annotations

import importlib

from fastapi import FastAPI

# Each entry is a module exposing `router`; a folder per aggregate, same file names everywhere.
ROUTER_MODULES: tuple[str, ...] = (
    "kanban.api.accounts.routes",
    "kanban.api.tags.routes",
)


def include_routers(app: FastAPI, prefix: str) -> None:
    for name in ROUTER_MODULES:
        module = importlib.import_module(name)
        app.include_router(module.router, prefix=prefix)

"""The API application built from the environment, for servers that start it in each worker process."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kanban.web.unused_imports import leave_out_unused_imports

if TYPE_CHECKING:
    from fastapi import FastAPI


def app_from_environment() -> FastAPI:
    """Called once per worker process (uvicorn --factory): settings are read there, not at import."""
    leave_out_unused_imports()  # a worker process starts from a fresh interpreter
    from kanban.api.app import create_app
    from kanban.settings import load_settings
    from kanban.web.logging import configure_logging

    settings = load_settings("api")
    configure_logging(settings.log_level, "api")
    return create_app(settings)

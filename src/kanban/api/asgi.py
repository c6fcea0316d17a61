"""The API application built from the environment, for servers that start it in each worker process."""

from __future__ import annotations

from fastapi import FastAPI

from kanban.api.app import create_app
from kanban.settings import load_settings
from kanban.web.logging import configure_logging


def app_from_environment() -> FastAPI:
    """Called once per worker process (uvicorn --factory): settings are read there, not at import."""
    settings = load_settings("api")
    configure_logging(settings.log_level, "api")
    return create_app(settings)

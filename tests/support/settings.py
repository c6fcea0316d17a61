"""Settings for tests, built through the same loader the services use."""

from __future__ import annotations

from kanban.db.urls import DatabaseUrl
from kanban.settings import Settings, load_settings

TEST_EVENTS_SECRET = "test-events-secret-0123456789"
TEST_JWT_SECRET = "test-jwt-secret-0123456789abcdef0123456789"
# Cheap argon2id parameters: tests check behaviour, not hashing cost (the production profile costs
# every sign-up and sign-in 64 MiB and a few hundred ms of CPU; tests/unit/api/test_passwords.py keeps it).
CHEAP_ARGON2 = {"KANBAN_ARGON2_TIME_COST": "1", "KANBAN_ARGON2_MEMORY_COST": "64"}


def test_env(api_db: DatabaseUrl | None, worker_db: DatabaseUrl | None, **extra: str) -> dict[str, str]:
    env = {
        "KANBAN_EVENTS_SECRET": TEST_EVENTS_SECRET,
        "KANBAN_JWT_SECRET": TEST_JWT_SECRET,
        "KANBAN_TRANSPORT": "memory",
        "KANBAN_JOB_DEBOUNCE_SECONDS": "0",
        **CHEAP_ARGON2,
    }
    if api_db is not None:
        env["API_DATABASE_URL"] = api_db.url.render_as_string(hide_password=False)
    if worker_db is not None:
        env["WORKER_DATABASE_URL"] = worker_db.url.render_as_string(hide_password=False)
    env.update(extra)
    return env


def settings_for(service: str, api_db: DatabaseUrl | None, worker_db: DatabaseUrl | None, **extra: str) -> Settings:
    return load_settings(service, test_env(api_db, worker_db, **extra))  # type: ignore[arg-type]

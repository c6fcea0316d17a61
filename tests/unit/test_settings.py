"""Configuration is validated at start with one-line errors that name the variable."""

from __future__ import annotations

import pytest

from kanban.settings import SettingsError, load_settings

BASE = {"KANBAN_EVENTS_SECRET": "s" * 20, "KANBAN_JWT_SECRET": "j" * 40}


def test_service_specific_url_wins_and_database_url_works_alone() -> None:
    env = BASE | {"DATABASE_URL": "postgresql://u:p@db/kanban_api"}
    assert load_settings("api", env).database.database == "kanban_api"
    env |= {"API_DATABASE_URL": "sqlite:///x/api.db"}
    assert load_settings("api", env).database.is_sqlite


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({}, "API_DATABASE_URL"),
        ({"API_DATABASE_URL": "mysql://x/y"}, "API_DATABASE_URL"),
        ({"API_DATABASE_URL": "not a url"}, "API_DATABASE_URL"),
        (
            {"API_DATABASE_URL": "postgresql://a@h/kanban_api", "WORKER_DATABASE_URL": "postgresql://b@h/kanban_api"},
            "WORKER_DATABASE_URL",
        ),
        ({"API_DATABASE_URL": "postgresql://a@h/kanban_worker"}, "API_DATABASE_URL"),
        ({"API_DATABASE_URL": "sqlite:///a.db", "KANBAN_TRANSPORT": "pigeon"}, "KANBAN_TRANSPORT"),
        ({"API_DATABASE_URL": "sqlite:///a.db", "KANBAN_PORT": "eighty"}, "KANBAN_PORT"),
        (
            {"API_DATABASE_URL": "sqlite:///a.db", "KANBAN_WEBHOOK_ALLOW_PRIVATE": "maybe"},
            "KANBAN_WEBHOOK_ALLOW_PRIVATE",
        ),
        ({"API_DATABASE_URL": "sqlite:///a.db", "KANBAN_WEBHOOK_MAX_ATTEMPTS": "0"}, "KANBAN_WEBHOOK_MAX_ATTEMPTS"),
        ({"API_DATABASE_URL": "sqlite:///a.db", "KANBAN_DB_POOL_SIZE": "0"}, "KANBAN_DB_POOL_SIZE"),
        ({"API_DATABASE_URL": "sqlite:///a.db", "KANBAN_DB_POOL_SIZE": "many"}, "KANBAN_DB_POOL_SIZE"),
    ],
)
def test_bad_configuration_is_one_line_naming_the_variable(env: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings("api", BASE | env)
    message = str(caught.value)
    assert named in message and "\n" not in message


def test_production_secrets_have_no_defaults() -> None:
    with pytest.raises(SettingsError, match="KANBAN_JWT_SECRET"):
        load_settings("api", {"API_DATABASE_URL": "sqlite:///a.db", "KANBAN_EVENTS_SECRET": "s" * 20})
    with pytest.raises(SettingsError, match="KANBAN_EVENTS_SECRET"):
        load_settings("worker", {"WORKER_DATABASE_URL": "sqlite:///w.db"})


def test_the_same_sqlite_file_for_both_services_is_refused() -> None:
    env = BASE | {"API_DATABASE_URL": "sqlite:///data/one.db", "WORKER_DATABASE_URL": "sqlite:///data/../data/one.db"}
    with pytest.raises(SettingsError, match="same database"):
        load_settings("worker", env)


def test_credentials_are_redacted_in_logs() -> None:
    settings = load_settings("api", BASE | {"API_DATABASE_URL": "postgresql://kanban_api:s3cret@h/kanban_api"})
    assert "s3cret" not in settings.database.redacted()
    assert "kanban_api" in settings.database.redacted()


def test_webhooks_refuse_private_targets_unless_the_operator_allows_them() -> None:
    env = BASE | {"API_DATABASE_URL": "sqlite:///a.db"}
    assert load_settings("api", env).webhook_allow_private is False
    assert load_settings("api", env | {"KANBAN_WEBHOOK_ALLOW_PRIVATE": "1"}).webhook_allow_private is True

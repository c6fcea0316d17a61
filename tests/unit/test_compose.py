"""compose.yaml agrees with the runbook, the settings code and the README (no container engine here)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from kanban.db.urls import SERVICE_DATABASES, parse_database_url
from kanban.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text())
SERVICES = COMPOSE["services"]


def _env(service: str) -> dict[str, str]:
    """The service's environment with ${VAR} references filled with sample values."""
    sample = {"KANBAN_API_DB_PASSWORD": "pw1", "KANBAN_WORKER_DB_PASSWORD": "pw2", "KANBAN_JWT_SECRET": "j" * 40}
    out = {}
    for key, value in SERVICES[service]["environment"].items():
        out[key] = re.sub(r"\$\{(\w+)(:\?[^}]*)?\}", lambda m: sample[m.group(1)], str(value))
    return out


def test_the_runbook_services_exist() -> None:
    assert {"postgres-api", "postgres-worker", "nats", "api", "worker"} <= set(SERVICES)


def test_each_database_service_is_the_service_database() -> None:
    assert SERVICES["postgres-api"]["environment"]["POSTGRES_DB"] == SERVICE_DATABASES["api"]
    assert SERVICES["postgres-worker"]["environment"]["POSTGRES_DB"] == SERVICE_DATABASES["worker"]
    for name in ("postgres-api", "postgres-worker"):
        assert SERVICES[name]["healthcheck"]["test"][1] == "pg_isready"


def test_api_and_worker_share_one_image_and_migrate_before_start() -> None:
    assert SERVICES["api"]["image"] == SERVICES["worker"]["image"]
    assert SERVICES["api"]["command"] == ["kanban", "api", "--migrate"]
    assert SERVICES["worker"]["command"] == ["kanban", "worker", "--migrate"]


def test_service_environments_load_with_the_real_settings_code() -> None:
    api = load_settings("api", _env("api"))
    worker = load_settings("worker", _env("worker"))
    assert api.database.url.host == "postgres-api" and api.database.database == "kanban_api"
    assert worker.database.url.host == "postgres-worker" and worker.database.database == "kanban_worker"
    assert api.transport == worker.transport == "nats"
    assert parse_database_url(_env("api")["DATABASE_URL"]).url.username == "kanban_api"


def test_health_checks_hit_the_health_endpoints_on_the_configured_ports() -> None:
    for service in ("api", "worker"):
        port = _env(service)["KANBAN_PORT"]
        check = " ".join(SERVICES[service]["healthcheck"]["test"])
        assert f"127.0.0.1:{port}/api/v1/health/ready" in check
        assert SERVICES[service]["depends_on"]


def test_readme_names_the_compose_services_and_variables() -> None:
    readme = (ROOT / "README.md").read_text()
    for name in (
        "postgres-api", "postgres-worker", "API_DATABASE_URL", "WORKER_DATABASE_URL", "compose.yaml",
        "KANBAN_PUBLISH_ADDRESS", "KANBAN_API_DB_PASSWORD", "KANBAN_WORKER_DB_PASSWORD",
    ):  # fmt: skip
        assert name in readme, name


def _published(service: str, environment: dict[str, str]) -> list[tuple[str, str, str]]:
    """(host address, host port, container port) of each published port, with ${VAR:-default} resolved."""

    def resolve(match: re.Match[str]) -> str:
        return environment.get(match.group(1)) or match.group(2)

    out = []
    for spec in SERVICES[service].get("ports", []):
        resolved = re.sub(r"\$\{(\w+):-([^}]*)\}", resolve, str(spec))
        parts = resolved.split(":")
        assert len(parts) == 3, f"{service} publishes {spec!r} without a host address (that is every interface)"
        out.append((parts[0], parts[1], parts[2]))
    return out


def test_published_ports_bind_to_loopback_unless_the_operator_says_otherwise() -> None:
    published = {name: _published(name, {}) for name in SERVICES}
    assert published["api"] == [("127.0.0.1", "8000", _env("api")["KANBAN_PORT"])]
    assert all(address == "127.0.0.1" for ports in published.values() for address, _, _ in ports), published
    assert _published("api", {"KANBAN_PUBLISH_ADDRESS": "0.0.0.0"})[0][0] == "0.0.0.0"


def test_the_listening_port_is_the_settings_port() -> None:
    for service in ("api", "worker"):
        assert load_settings(service, _env(service)).port == int(_env(service)["KANBAN_PORT"])  # type: ignore[arg-type]

"""The hardening settings: trusted proxies, the metrics token, sessions and registrations."""

from __future__ import annotations

import pytest

from kanban.settings import SettingsError, load_settings

BASE = {
    "API_DATABASE_URL": "sqlite:///api.db",
    "KANBAN_EVENTS_SECRET": "e" * 20,
    "KANBAN_JWT_SECRET": "j" * 40,
}


def test_the_defaults_trust_no_proxy_and_guard_metrics_by_loopback() -> None:
    settings = load_settings("api", BASE)
    assert settings.trusted_proxies == ()
    assert settings.metrics_token == ""
    assert (settings.session_days, settings.session_idle_hours, settings.registrations_per_hour) == (14, 168, 10)


def test_trusted_proxies_are_addresses_or_networks() -> None:
    settings = load_settings("api", {**BASE, "KANBAN_TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8"})
    assert settings.trusted_proxies == ("127.0.0.1/32", "10.0.0.0/8")
    with pytest.raises(SettingsError, match="KANBAN_TRUSTED_PROXIES"):
        load_settings("api", {**BASE, "KANBAN_TRUSTED_PROXIES": "proxy.example"})


def test_a_metrics_token_must_be_long_enough() -> None:
    with pytest.raises(SettingsError, match="KANBAN_METRICS_TOKEN"):
        load_settings("api", {**BASE, "KANBAN_METRICS_TOKEN": "short"})

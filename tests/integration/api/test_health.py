"""Health, metrics and OpenAPI are served by the API on both backends."""

from __future__ import annotations

from tests.integration.api.conftest import ApiHarness


async def test_live_and_ready_report_ok(api: ApiHarness) -> None:
    live = await api.client.get("/health/live")
    assert live.status_code == 200
    ready = await api.client.get("/health/ready")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "transport": "ok"}


async def test_ready_names_the_failing_database(api: ApiHarness) -> None:
    await api.app.state.services.engine.dispose()  # type: ignore[attr-defined]
    services = api.app.state.services  # type: ignore[attr-defined]
    from kanban.db.engine import make_engine
    from kanban.db.urls import parse_database_url

    services.engine = make_engine(parse_database_url("postgresql://nobody@127.0.0.1:1/nowhere"), "kanban-api")
    ready = await api.client.get("/health/ready")
    assert ready.status_code == 503
    assert ready.headers["content-type"].startswith("application/problem+json")
    assert "database" in ready.json()["detail"]


async def test_metrics_and_openapi_are_served(api: ApiHarness) -> None:
    await api.client.get("/health/live")
    metrics = await api.client.get("http://test/metrics")
    assert "kanban_http_requests_total" in metrics.text
    spec = await api.client.get("/openapi.json")
    assert spec.json()["info"]["title"] == "Personal Kanban API"

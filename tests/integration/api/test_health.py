"""Health, metrics and OpenAPI are served by the API on both backends."""

from __future__ import annotations

import httpx

from kanban.api.app import create_app
from kanban.db.urls import DatabaseUrl
from tests.integration.api.conftest import ApiHarness
from tests.support.processes import free_port
from tests.support.settings import settings_for


async def test_live_and_ready_report_ok(api: ApiHarness) -> None:
    live = await api.client.get("/health/live")
    assert live.status_code == 200
    ready = await api.client.get("/health/ready")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok"}
    assert ready.json()["peers"] == {"memory": "ok"} and ready.json()["status"] == "ok"


async def test_a_peer_away_is_reported_without_making_the_service_unready(api_db: DatabaseUrl) -> None:
    """With the http transport the Worker is the API's peer: while it is down the API still serves."""
    away = f"http://127.0.0.1:{free_port()}/internal/events"
    settings = settings_for("api", api_db, None, KANBAN_TRANSPORT="http", KANBAN_WORKER_EVENTS_URL=away)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            ready = await client.get("/api/v1/health/ready")
            metrics = await client.get("/metrics")
    assert ready.status_code == 200
    body = ready.json()
    assert body["status"] == "degraded" and body["checks"] == {"database": "ok"}
    assert "unreachable" in body["peers"]["worker"] and body["detail"] == "serving; away: worker"
    assert 'kanban_peer_up{peer="worker",service="api"} 0.0' in metrics.text


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


async def test_request_metrics_count_each_route_by_its_template(api: ApiHarness) -> None:
    me = await api.make_user()
    missing = "00000000-0000-4000-8000-000000000000"
    assert (await api.client.get(f"/tasks/{missing}", headers=me)).status_code == 404
    assert (await api.client.get("/no/such/route", headers=me)).status_code == 404
    assert (await api.client.get("http://test/health/live")).status_code == 200
    metrics = (await api.client.get("http://test/metrics")).text
    assert 'route="/api/v1/tasks/{taskId}",service="api",status="404"' in metrics
    assert 'route="/health/live",service="api",status="200"' in metrics
    assert 'route="unmatched",service="api",status="404"' in metrics
    assert missing not in metrics

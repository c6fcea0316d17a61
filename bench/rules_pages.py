"""The rules pages' server time: a board with 500 tasks, 50 rules and a rule with 50 runs.

    .venv/bin/python -m bench.rules_pages --backend sqlite
    .venv/bin/python -m bench.rules_pages --backend postgres

The API runs as its own process (no Worker). Each figure is client-measured over loopback: the
JSON list of the rules (a baseline: what the API alone takes for the same rows), the list page (50 rules in words), the editor of a rule with its run history, one editor part (what a
kind change swaps in) and the preview (the draft dry-run over 500 tasks, rendered).
"""

from __future__ import annotations

import argparse
import asyncio
import time

import httpx

from bench.support import JWT, SECRET, drop_database, free_port, machine, scratch_database, start_service, summary_ms
from bench.support import workdir as new_workdir

PASSWORD = "correct horse battery staple"


def _seed(client: httpx.Client, tasks: int, rules: int) -> tuple[str, str, dict[str, str]]:
    client.post("/api/v1/auth/register", json={"email": "bench@example.test", "password": PASSWORD})
    token = client.post("/api/v1/auth/login", json={"email": "bench@example.test", "password": PASSWORD}).json()
    headers = {"Authorization": f"Bearer {token['accessToken']}"}
    board = client.get("/api/v1/boards/default", headers=headers).json()
    columns = {c["type"]: c["id"] for c in board["columns"]}
    watched = None
    for n in range(rules):
        rule = {
            "name": f"Rule {n}", "trigger": {"type": "task.created", "config": {"columnType": "INPUT"}},
            "conditions": [{"field": "title", "operator": "contains", "value": "call" if n == 0 else f"never {n}"}],
            "actions": [{"type": "add_tag", "config": {"name": f"t{n}"}},
                        {"type": "move", "config": {"columnId": columns["CONTEXT"], "position": "top"}}],
        }  # fmt: skip
        created = client.post(f"/api/v1/boards/{board['id']}/rules", json=rule, headers=headers)
        created.raise_for_status()
        watched = watched or created.json()["id"]
    for n in range(tasks):
        title = f"call {n}" if n < 50 else f"Task {n}"
        client.post(f"/api/v1/boards/{board['id']}/tasks", json={"title": title}, headers=headers).raise_for_status()
    assert watched is not None
    deadline = time.monotonic() + 120
    while client.get(f"/api/v1/rules/{watched}/runs", headers=headers).json()["total"] < tasks:
        assert time.monotonic() < deadline, "the rule engine did not catch up"
        time.sleep(0.2)
    return board["id"], watched, headers


def _time(client: httpx.Client, method: str, url: str, rounds: int, **kwargs: object) -> list[float]:
    took = []
    for _ in range(rounds):
        begin = time.perf_counter()
        client.request(method, url, **kwargs).raise_for_status()  # type: ignore[arg-type]
        took.append(time.perf_counter() - begin)
    return took


def main(backend: str, rounds: int) -> None:
    work = new_workdir()
    api_db = asyncio.run(scratch_database("api", backend, work))
    port = free_port()
    env = {
        "API_DATABASE_URL": api_db.url.render_as_string(hide_password=False), "KANBAN_TRANSPORT": "http",
        "KANBAN_EVENTS_SECRET": SECRET, "KANBAN_JWT_SECRET": JWT, "KANBAN_LOG_LEVEL": "ERROR",
        "KANBAN_API_EVENTS_URL": f"http://127.0.0.1:{port}/internal/events",
        "KANBAN_WORKER_EVENTS_URL": f"http://127.0.0.1:{free_port()}/internal/events",
    }  # fmt: skip
    api = start_service("api", env, port, work / "api.log")
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            board_id, rule_id, headers = _seed(client, 500, 50)
            draft = client.get(f"/api/v1/rules/{rule_id}", headers=headers).json()
            draft = {k: draft[k] for k in ("name", "trigger", "conditions", "actions")}
            print(f"# {machine()}, {backend}: 500 tasks, 50 rules, the watched rule with 500 runs (50 shown)")
            cases = [
                ("baseline: the JSON list of 50 rules", "GET", f"/api/v1/boards/{board_id}/rules", {}),
                ("list page, 50 rules", "GET", f"/boards/{board_id}/rules", {}),
                ("editor with run history", "GET", f"/rules/{rule_id}", {}),
                ("one editor part (move action)", "GET", f"/ui/boards/{board_id}/rules/parts/action?type=move", {}),
                ("preview over 500 tasks", "POST", f"/ui/boards/{board_id}/rules/dry-run", {"json": draft}),
            ]
            for label, method, url, extra in cases:
                _time(client, method, url, 3, headers=headers, **extra)  # warm caches and the template cache
                print(f"{label}: {summary_ms(_time(client, method, url, rounds, headers=headers, **extra))}")
    finally:
        api.terminate()
        api.wait(timeout=30)
        asyncio.run(drop_database(api_db))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args()
    main(args.backend, args.rounds)

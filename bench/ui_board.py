"""The board page in headless chromium: time to interactive with 1,000 tasks, drag → confirmed move, JS + CSS bytes.

    .venv/bin/python -m bench.ui_board

The API runs as its own process on SQLite (no Worker: hint jobs would only load the machine).
Interactive = the page's modules ran and every column is a drop target (`#board[data-ready]`).
A drag is timed in the page, from the mouse release to the server's confirmation of the move.
Transferred bytes are what a first visit downloads for the board's scripts and styles (gzip).
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import httpx
from tests.support.browser import CHROMIUM_ARGS, chromium_path

from bench.support import JWT, SECRET, free_port, machine, percentile, start_service, workdir
from kanban.db.urls import parse_database_url

PASSWORD = "correct horse battery staple"


def _seed(base: str, tasks: int) -> tuple[str, dict[str, str]]:
    with httpx.Client(base_url=f"{base}/api/v1", timeout=30) as client:
        client.post("/auth/register", json={"email": "bench@example.test", "password": PASSWORD})
        token = client.post("/auth/login", json={"email": "bench@example.test", "password": PASSWORD}).json()
        headers = {"Authorization": f"Bearer {token['accessToken']}"}
        board = client.get("/boards/default", headers=headers).json()
        columns = {c["type"]: c["id"] for c in board["columns"]}
        spread = ["INPUT", "CONTEXT", "WAITING", "SOMEDAY", "DONE", "ARCHIVE"]
        for n in range(tasks):
            kind = spread[n % len(spread)]
            body = {
                "title": f"Task {n}: something to do",
                "columnId": columns[kind],
                "tags": ["bench"] if n % 3 else [],
            }
            client.post(f"/boards/{board['id']}/tasks", json=body, headers=headers).raise_for_status()
        return board["id"], columns


def _api_moves(base: str, board_id: str, count: int) -> list[float]:
    """The same moves without a browser: what the server alone takes."""
    with httpx.Client(base_url=f"{base}/api/v1", timeout=30) as client:
        token = client.post("/auth/login", json={"email": "bench@example.test", "password": PASSWORD}).json()
        headers = {"Authorization": f"Bearer {token['accessToken']}"}
        board = client.get(f"/boards/{board_id}", headers=headers).json()
        first = {c["type"]: c for c in board["columns"]}
        source, target = first["CONTEXT"], first["SOMEDAY"]
        task_ids = [t["id"] for t in source["tasks"][:count]]
        took = []
        for task_id in task_ids:
            begin = time.perf_counter()
            client.post(f"/tasks/{task_id}/move", json={"columnId": target["id"]}, headers=headers).raise_for_status()
            took.append((time.perf_counter() - begin) * 1000)
        return took


def _drag(page: Any, source: str, target: str) -> None:
    """The first card of column `source` dragged by the mouse onto column `target`."""
    card = page.locator(f"{source} .card").first.bounding_box()
    drop = page.locator(f"{target} .column-head").bounding_box()
    page.mouse.move(card["x"] + 40, card["y"] + 10)
    page.mouse.down()
    for step in range(1, 9):
        page.mouse.move(
            card["x"] + 40 + (drop["x"] - card["x"]) * step / 8,
            card["y"] + 10 + (drop["y"] + 60 - card["y"] - 10) * step / 8,
        )
    page.mouse.up()


def _until_moves(page: Any, done: int, timeout: float) -> bool:
    """Whether the page confirms `done` drags within `timeout`. Polled, not `wait_for_function`: its
    string predicate needs eval, which the page's CSP refuses (evaluate runs outside the page's
    policy). The figure is timed inside the page, so the poll's interval adds nothing to it."""
    deadline = time.monotonic() + timeout
    while page.evaluate("window.__moves.length") < done:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def run(args: argparse.Namespace) -> None:
    from playwright.sync_api import sync_playwright

    work = workdir()
    port = free_port()
    env = {
        "API_DATABASE_URL": parse_database_url(f"sqlite:///{work / 'api.db'}").url.render_as_string(),
        "WORKER_DATABASE_URL": parse_database_url(f"sqlite:///{work / 'worker.db'}").url.render_as_string(),
        "KANBAN_TRANSPORT": "http",
        "KANBAN_EVENTS_SECRET": SECRET,
        "KANBAN_JWT_SECRET": JWT,
        "KANBAN_API_EVENTS_URL": f"http://127.0.0.1:{port}/internal/events",
        "KANBAN_WORKER_EVENTS_URL": f"http://127.0.0.1:{free_port()}/internal/events",
        "KANBAN_LOG_LEVEL": "ERROR",
    }
    api = start_service("api", env, port, work / "api.log", ("--migrate",))
    base = f"http://127.0.0.1:{port}"
    try:
        started = time.perf_counter()
        board_id, _ = _seed(base, args.tasks)
        print(f"seeded {args.tasks} tasks in {time.perf_counter() - started:.1f} s")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
            interactive, transferred = [], 0
            for round_ in range(args.loads):
                context = browser.new_context(viewport={"width": 1600, "height": 900})
                context.request.post(
                    f"{base}/api/v1/auth/session", data={"email": "bench@example.test", "password": PASSWORD}
                )
                page = context.new_page()
                begin = time.perf_counter()
                page.goto(f"{base}/boards/{board_id}", wait_until="commit")
                page.wait_for_selector("#board[data-ready]", state="attached")
                interactive.append((time.perf_counter() - begin) * 1000)
                if round_ == 0:
                    transferred = page.evaluate(
                        """performance.getEntriesByType('resource')
                            .filter(e => /\\.(js|css)(\\?|$)/.test(e.name))
                            .reduce((sum, e) => sum + e.transferSize, 0)"""
                    )
                context.close()
            context = browser.new_context(viewport={"width": 1600, "height": 900})
            context.request.post(
                f"{base}/api/v1/auth/session", data={"email": "bench@example.test", "password": PASSWORD}
            )
            page = context.new_page()
            page.goto(f"{base}/boards/{board_id}")
            page.wait_for_selector("#board[data-ready]", state="attached")
            page.evaluate(
                """() => { window.__moves = []; let up = 0;
                    document.addEventListener('mouseup', () => { up = performance.now(); }, true);
                    document.addEventListener('kanban:moved', () => { window.__moves.push(performance.now() - up); }); }"""
            )
            source, target = ".column[data-type=CONTEXT]", ".column[data-type=SOMEDAY]"
            missed = 0
            for n in range(args.moves):
                src, dst = (source, target) if n % 2 == 0 else (target, source)
                # A synthetic drag can miss its pick-up on a busy machine (no move starts, nothing to
                # time): a person drags again, and so does this, up to three times.
                for _attempt in range(3):
                    _drag(page, src, dst)
                    if _until_moves(page, n + 1, timeout=5.0):
                        break
                    missed += 1
                else:
                    raise RuntimeError(f"drag {n + 1} was not confirmed in three attempts")
            moves = page.evaluate("window.__moves")
            browser.close()
        server = _api_moves(base, board_id, args.moves)
    finally:
        api.terminate()
        api.wait(10)
    print(f"machine: {machine()}")
    print("| measure | result | goal |")
    print("|---|---|---|")
    print(f"| {args.tasks}-task board: load → interactive ({args.loads} loads) | p50 {percentile(interactive, 50):.0f} ms, "
          f"max {max(interactive):.0f} ms | ≤ 1 s |")  # fmt: skip
    print(f"| drag released → move confirmed ({len(moves)} drags, {missed} pick-ups missed and dragged again) | "
          f"p50 {percentile(moves, 50):.0f} ms, "
          f"p95 {percentile(moves, 95):.0f} ms | p95 ≤ 100 ms |")  # fmt: skip
    print(f"| the same move through the API alone (httpx, {len(server)} moves) | p50 {percentile(server, 50):.0f} ms, "
          f"p95 {percentile(server, 95):.0f} ms | – |")  # fmt: skip
    print(f"| JS + CSS transferred for the board (gzip, first visit) | {transferred / 1024:.1f} KB | ≤ 80 KB |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--loads", type=int, default=5)
    parser.add_argument("--moves", type=int, default=30)
    run(parser.parse_args())

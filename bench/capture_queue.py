"""Capture in headless chromium: the capture page online and offline (from the service worker's copy),
and how fast a backlog of captures kept offline reaches the server once the browser is back online.

    .venv/bin/python -m bench.capture_queue            # --loads 10 --captures 50

The API runs as its own process on SQLite (no Worker). Ready = the page's modules ran
(`body[data-capture=ready]`). The backlog is timed from going online (the page's `online` event
sends it) to every capture marked sent on the device, each one a task made through POST /capture.
"""

from __future__ import annotations

import argparse
import time

from tests.support.browser import CHROMIUM_ARGS, chromium_path

from bench.support import free_port, machine, percentile, services_env, start_service, workdir
from kanban.db.urls import parse_database_url
from kanban.ui.capture_routes import SHELL_FILES
from kanban.ui.render import STATIC_DIR

PASSWORD = "correct horse battery staple"
READY = "body[data-capture=ready]"


def _loads(page: object, url: str, count: int) -> list[float]:
    took = []
    for _ in range(count):
        begin = time.perf_counter()
        page.goto(url, wait_until="commit")  # type: ignore[attr-defined]
        page.wait_for_selector(READY, state="attached")  # type: ignore[attr-defined]
        took.append((time.perf_counter() - begin) * 1000)
    return took


def _backlog(page: object, context: object, count: int) -> float:
    context.set_offline(True)  # type: ignore[attr-defined]
    page.evaluate(  # type: ignore[attr-defined]
        """async (n) => { const q = await import('/static/js/capture-queue.js');
            const owner = localStorage.getItem('kanban-user');
            for (let i = 0; i < n; i++) await q.keep({ text: `Backlog ${i} #bench`, source: 'web' }, owner); }""",
        count,
    )
    begin = time.perf_counter()
    context.set_offline(False)  # type: ignore[attr-defined]
    while not page.evaluate(  # type: ignore[attr-defined]
        "import('/static/js/capture-queue.js').then(q => q.all()).then(a => a.every(i => i.state === 'sent'))"
    ):
        time.sleep(0.05)
    return time.perf_counter() - begin


def run(args: argparse.Namespace) -> None:
    from playwright.sync_api import sync_playwright

    work = workdir()
    port = free_port()
    api_db = parse_database_url(f"sqlite:///{work / 'api.db'}")
    worker_db = parse_database_url(f"sqlite:///{work / 'worker.db'}")
    env = services_env(api_db, worker_db, "http", port, free_port(), KANBAN_LOG_LEVEL="ERROR")
    api = start_service("api", env, port, work / "api.log", ("--migrate",))
    base = f"http://127.0.0.1:{port}"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
            context = browser.new_context()
            account = {"email": "bench@example.test", "password": PASSWORD}
            context.request.post(f"{base}/api/v1/auth/register", data=account)
            context.request.post(f"{base}/api/v1/auth/session", data=account)
            page = context.new_page()
            page.goto(f"{base}/capture/new")
            page.evaluate("navigator.serviceWorker.ready.then(() => true)")
            online = _loads(page, f"{base}/capture/new?title=Bench", args.loads)
            context.set_offline(True)
            offline = _loads(page, f"{base}/capture/new?title=Bench", args.loads)
            context.set_offline(False)
            page.goto(f"{base}/capture/new")
            page.wait_for_selector(READY, state="attached")
            backlog = _backlog(page, context, args.captures)
            browser.close()
    finally:
        api.terminate()
        api.wait(10)
    shell = sum((STATIC_DIR / p).stat().st_size for p in SHELL_FILES)
    print(f"machine: {machine()}")
    print("| measure | result |")
    print("|---|---|")
    print(f"| capture page online: load → ready ({len(online)} loads) | p50 {percentile(online, 50):.0f} ms, "
          f"max {max(online):.0f} ms |")  # fmt: skip
    print(f"| capture page offline, from the worker's copy ({len(offline)} loads) | "
          f"p50 {percentile(offline, 50):.0f} ms, max {max(offline):.0f} ms |")  # fmt: skip
    print(f"| {args.captures} captures kept offline: online → all sent | {backlog:.2f} s "
          f"({args.captures / backlog:.0f} captures/s) |")  # fmt: skip
    print(f"| files the worker keeps for the capture page (uncompressed) | {shell / 1024:.1f} KB |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--loads", type=int, default=10)
    parser.add_argument("--captures", type=int, default=50)
    run(parser.parse_args())

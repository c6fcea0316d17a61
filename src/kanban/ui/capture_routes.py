"""Capture in a browser: the bookmarklet page, the capture page (bookmarklet popup and share target),
the installable app's manifest and its service worker (offline capture page, queued captures).

The capture page carries nothing personal but whose it is (no boards, no tasks: it captures to the
default board), so the service worker may keep a copy for offline use; it reads what to capture
from its own URL.
"""

from __future__ import annotations

import hashlib
from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.responses import JSONResponse

from kanban.api.deps import CurrentUserId, Uow
from kanban.ui.render import environment, page, static_url
from kanban.ui.routes import PageRoute
from kanban.ui.routes import _shell as shell

router = APIRouter(route_class=PageRoute, include_in_schema=False)

# What the offline capture page needs, as the page links it (?v=hash) — tests check the page uses no other.
SHELL_FILES = (
    "app.css", "js/theme.js", "vendor/sortablejs/Sortable.min.js", "vendor/htmx.org/htmx.min.js",
    "js/capture.js", "js/api.js", "js/capture-queue.js", "js/offline.js", "js/preview.js", "icons/icon.svg",
    "icons/icon-192.png",
)  # fmt: skip
THEME = "#2358c9"  # the accent of app.css (light)


@router.get("/capture")
async def capture_help_page(request: Request, user_id: CurrentUserId, uow: Uow) -> Response:
    """Where a person gets the bookmarklet, learns to install the app, and sees queued captures."""
    origin = str(request.base_url).rstrip("/")
    return page("capture.html", bookmarklet=bookmarklet(origin), active="capture", **(await shell(user_id, uow)))


@router.get("/capture/new")
@router.get("/capture/share")
async def capture_page(user_id: CurrentUserId) -> Response:
    """The confirm-and-save page: the bookmarklet's popup (`/new`) and the share target (`/share`)."""
    return page("capture_new.html", user_id=user_id)


def bookmarklet(origin: str) -> str:
    """A `javascript:` URL that opens our capture page in a small window: it runs on any page, whatever
    that page's CSP, since everything after `window.open` happens on our own origin."""
    code = (
        "(function(){var d=document,e=encodeURIComponent,s=String(window.getSelection?getSelection():'').slice(0,4000);"
        f"var u='{origin}/capture/new?source=bookmarklet&popup=1&title='+e(d.title)+'&url='+e(location.href)+'&selection='+e(s);"
        "if(!window.open(u,'kanban-capture','width=560,height=680'))location.href=u;})()"
    )
    return f"javascript:{code}"


def manifest() -> dict[str, Any]:
    return {
        "id": "/",
        "name": "Personal Kanban",
        "short_name": "Kanban",
        "description": "A GTD board: capture, clarify, do.",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#f4f5f7",
        "theme_color": THEME,
        "icons": [
            {"src": static_url("icons/icon.svg"), "sizes": "any", "type": "image/svg+xml"},
            {"src": static_url("icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static_url("icons/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {
                "src": static_url("icons/maskable-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
        # A phone's share sheet opens the capture page with what was shared (GET: works offline too).
        "share_target": {
            "action": "/capture/share",
            "method": "GET",
            "enctype": "application/x-www-form-urlencoded",
            "params": {"title": "title", "text": "text", "url": "url"},
        },
        "shortcuts": [
            {
                "name": "Capture",
                "url": "/capture/new",
                "icons": [{"src": static_url("icons/icon-192.png"), "sizes": "192x192"}],
            }
        ],
    }


@router.get("/manifest.webmanifest")
async def web_manifest() -> Response:
    # Public: browsers fetch the manifest without credentials.
    return JSONResponse(manifest(), media_type="application/manifest+json", headers={"Cache-Control": "no-cache"})


def service_worker() -> str:
    shell_urls = [static_url(p) for p in SHELL_FILES]
    version = hashlib.sha256(" ".join(shell_urls).encode()).hexdigest()[:12]
    return environment.get_template("sw.js").render(
        shell=shell_urls, version=version, queue=static_url("js/capture-queue.js")
    )


@router.get("/sw.js")
async def service_worker_script() -> Response:
    """At the root so its scope is the whole app; `no-cache` so a new release's worker is picked up at once."""
    return Response(
        service_worker(),
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"},
    )

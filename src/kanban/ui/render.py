"""Rendering for the pages: the Jinja2 environment, content-hashed static URLs, sanitised markdown."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import nh3
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markdown_it import MarkdownIt
from markupsafe import Markup
from starlette.responses import HTMLResponse

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
# Tags a task description may use once rendered; everything else (script, style, iframe, on*) is stripped.
_ALLOWED_TAGS = {
    "p",
    "br",
    "hr",
    "strong",
    "em",
    "del",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "a",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}
# html=False: raw HTML in a description is shown as text, and nh3 cleans whatever markdown makes.
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table").enable("strikethrough")


def markdown(text: str | None) -> Markup:
    if not text:
        return Markup("")
    html = _markdown.render(text)
    clean = nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return Markup(clean)  # noqa: S704 - sanitised by nh3 just above


@cache
def _static_hash(path: str) -> str:
    """A short content hash, so a static URL changes when its file does and can be cached for a year."""
    return hashlib.sha256((STATIC_DIR / path).read_bytes()).hexdigest()[:12]


def static_url(path: str) -> str:
    return f"/static/{path}?v={_static_hash(path)}"


def due_state(due: datetime | None, now: datetime | None = None) -> str:
    """'overdue', 'soon' (within a day) or '' for a card's due badge."""
    if due is None:
        return ""
    now = now or datetime.now(UTC)
    if due.tzinfo is None:
        due = due.replace(tzinfo=UTC)
    if due < now:
        return "overdue"
    return "soon" if (due - now).total_seconds() < 86_400 else ""


def wip_state(count: int, limit: int | None) -> str:
    """'over' past the WIP limit, 'at' on it, '' below it or without a limit."""
    if limit is None:
        return ""
    return "over" if count > limit else "at" if count == limit else ""


def proposal(data: dict[str, Any] | None) -> str:
    """A hint's proposed change in words ("context: phone · minutes: 15"), whatever its agent."""
    parts = []
    for key, value in (data or {}).items():
        if value in (None, [], ""):
            continue
        shown = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
        parts.append(f"{'new tags' if key == 'new' else key}: {shown.lower() if shown.isupper() else shown}")
    return " · ".join(parts)


def actor(triggered_by: str | None) -> str:
    """Who caused an event, for people: "you", or the agent, rule or service by name."""
    if not triggered_by:
        return ""
    return "you" if triggered_by.startswith("user:") else triggered_by.split(":", 1)[-1]


def aging_level(band: str | None) -> str:
    """A card's age against the board's cycle times, in three: 'young' (under p50), 'mid' (p50 to p85),
    'old' (past p85); '' without enough finished tasks to tell."""
    if not band:
        return ""
    return "young" if band == "under-p50" else "mid" if band in ("p50-p70", "p70-p85") else "old"


def band_words(band: str | None) -> str:
    """'over-p85' -> 'past p85'; the bands of the aging answer in words."""
    if not band:
        return "not enough finished tasks to tell"
    if band.startswith("under-"):
        return f"below {band[6:]}"
    if band.startswith("over-"):
        return f"past {band[5:]}"
    low, high = band.split("-")
    return f"between {low} and {high}"


def minutes(total: int) -> str:
    """A duration for a card: 20 -> '20 min', 90 -> '1 h 30', 120 -> '2 h'."""
    hours, rest = divmod(total, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h {rest:02d}" if rest else f"{hours} h"


# Columns a change names (task_events' changedFields) as a person says them; others lose their "_".
_FIELD_WORDS = {
    "due_at": "due date", "duration_minutes": "duration", "project_id": "project", "column_type": "column",
    "clarified_at": None, "is_done": "done",
}  # fmt: skip


def field_words(fields: list[str] | None) -> str:
    """What a change touched, for the history: ['context', 'due_at', 'clarified_at'] -> 'context, due date'."""
    words = (_FIELD_WORDS.get(f, f.replace("_", " ")) for f in fields or [])
    return ", ".join(dict.fromkeys(w for w in words if w))


environment = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
environment.globals.update(
    static=static_url, due_state=due_state, wip_state=wip_state, aging_level=aging_level, band_words=band_words
)
environment.filters["markdown"] = markdown
environment.filters["proposal"] = proposal
environment.filters["actor"] = actor
environment.filters["minutes"] = minutes
environment.filters["field_words"] = field_words
environment.filters["day"] = lambda d: d.strftime("%b %-d") if d else ""
environment.filters["stamp"] = lambda d: d.strftime("%Y-%m-%d %H:%M") if d else ""
environment.filters["local_input"] = lambda d: d.strftime("%Y-%m-%dT%H:%M") if d else ""
# Macros every page may call, loaded once: a `{% from %}` or an `{% include %}` in a loop is done
# again for each card a board renders (bench/card_render.py). The card calls the chips: chips first.
for _name, _macro in (("_task_chips.html", "task_chips"), ("_card.html", "card")):
    environment.globals[_macro] = getattr(environment.get_template(_name).module, _macro)


def page(name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    return HTMLResponse(environment.get_template(name).render(**context), status_code=status_code)

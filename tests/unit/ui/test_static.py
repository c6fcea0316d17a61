"""The UI's static side: vendored bytes match the manifest, markup obeys the CSP, markdown is sanitised."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from kanban.ui.render import STATIC_DIR, field_words, markdown, minutes

VENDOR = STATIC_DIR / "vendor"
TEMPLATES = STATIC_DIR.parent / "templates"


def test_vendored_files_match_the_manifest() -> None:
    manifest = json.loads((VENDOR / "manifest.json").read_text())
    names = {p["name"] for p in manifest["packages"]}
    assert {"htmx.org", "sortablejs", "axe-core", "swagger-ui-dist", "uplot"} <= names
    listed: set[Path] = {VENDOR / "manifest.json"}
    for package in manifest["packages"]:
        assert re.fullmatch(r"\d+\.\d+\.\d+", package["version"]), package
        assert package["integrity"].startswith("sha512-"), package
        assert "LICENSE" in package["files"], f"{package['name']} ships without its licence"
        for name, digest in package["files"].items():
            path = VENDOR / package["name"] / name
            assert hashlib.sha256(path.read_bytes()).hexdigest() == digest, f"{path} differs from the manifest"
            listed.add(path)
    stray = {p for p in VENDOR.rglob("*") if p.is_file()} - listed
    assert not stray, f"vendored files missing from the manifest: {sorted(map(str, stray))}"


def test_htmx_is_pinned_to_the_2_0_line() -> None:
    manifest = json.loads((VENDOR / "manifest.json").read_text())
    htmx = next(p for p in manifest["packages"] if p["name"] == "htmx.org")
    assert htmx["version"].startswith("2.0.")


@pytest.mark.parametrize("template", sorted(p.name for p in TEMPLATES.glob("*.html")))
def test_templates_need_nothing_the_csp_forbids(template: str) -> None:
    text = (TEMPLATES / template).read_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)", text), "inline <script>"
    assert "<style" not in text, "<style> block"
    assert not re.search(r"\sstyle=", text), "style attribute"
    assert not re.search(r"\son[a-z]+=", text), "inline event handler"
    assert "hx-on" not in text, "hx-on needs eval"


def test_our_javascript_is_small_and_typed() -> None:
    ours = sorted((STATIC_DIR / "js").glob("*.js"))
    assert ours and all(p.read_text().startswith("// @ts-check") for p in ours)
    # A budget for the whole UI: 1,200 lines for the board's pages, about 100 for the flow charts
    # and 300 for capture (its page and offline queue), and room for the rules editor.
    assert sum(len(p.read_text().splitlines()) for p in ours) < 2000


@pytest.mark.parametrize(
    ("source", "absent"),
    [
        ("<script>alert(1)</script>", "<script"),
        ("[x](javascript:alert(1))", 'href="javascript'),
        ('<img src=x onerror="alert(1)">', "<img"),
        ("<a href='https://e.test' onclick='x()'>a</a>", "<a "),
    ],
)
def test_markdown_is_sanitised(source: str, absent: str) -> None:
    assert absent not in markdown(source)


def test_markdown_keeps_formatting_and_makes_links_safe() -> None:
    html = markdown("**bold** and [a link](https://example.test)\n\n- one\n- two")
    assert "<strong>bold</strong>" in html and "<li>one</li>" in html
    assert 'href="https://example.test"' in html and "noopener" in html


def test_a_card_s_duration_reads_in_minutes_then_hours() -> None:
    assert [minutes(n) for n in (5, 59, 60, 90, 125, 480)] == ["5 min", "59 min", "1 h", "1 h 30", "2 h 05", "8 h"]


def test_a_change_in_the_history_names_its_fields_in_words() -> None:
    assert field_words(["context", "due_at", "clarified_at", "duration_minutes"]) == "context, due date, duration"
    assert field_words(["waiting_for", "column_type", "column_type"]) == "waiting for, column"
    assert field_words(["clarified_at"]) == "" and field_words(None) == ""

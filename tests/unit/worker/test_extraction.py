"""Reading the main text out of real-world and broken HTML."""

from __future__ import annotations

from kanban.worker.fetching.extraction import extract
from kanban.worker.fetching.page import FetchedPage


def test_main_text_prefers_the_article_and_drops_chrome() -> None:
    html = (
        "<html><head><title> Gardening &amp; You </title></head><body>"
        "<header>Site header menu</header><aside>Related: 10 best hoses</aside>"
        "<main><p>Tomatoes need at least six hours of sun a day to ripen well in a temperate garden.</p>"
        "<p>Water them deeply twice a week rather than a little every day, so roots grow down.</p>"
        "<p>Pinch out side shoots on cordon varieties to keep the plant focused on its fruit.</p></main>"
        "<footer>© 2026</footer></body></html>"
    )

    page = extract(html)

    assert page.title == "Gardening & You"
    assert page.text.startswith("Tomatoes need at least six hours")
    assert "menu" not in page.text and "hoses" not in page.text and "2026" not in page.text


def test_broken_html_still_yields_its_text() -> None:
    html = (
        "<html><title>Broken</title><body><div><p>First paragraph <b>bold <i>both</b> still here"
        "</span></span><script>alert(1)<p>Second paragraph &nbsp; &bogus; <![CDATA[ x ]]> <!-- note"
    )

    page = extract(html)

    assert page.title == "Broken"
    assert "First paragraph bold both still here" in page.text
    assert "alert" not in page.text


def test_undeclared_charsets_are_found_in_meta_or_replaced_leniently() -> None:
    declared = FetchedPage(
        "u", 200, "text/html", None, '<meta charset="windows-1252"><p>naïve</p>'.encode("cp1252"), False
    )
    garbage = FetchedPage("u", 200, "text/html", "no-such-charset", b"<p>ok \xff\xfe</p>", False)

    assert "naïve" in declared.text()
    assert "ok" in garbage.text()

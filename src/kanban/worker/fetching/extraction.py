"""The readable part of an HTML page: its title and main text, without scripts, styles or navigation."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

_SKIPPED = frozenset(
    {
        "script",
        "style",
        "noscript",
        "template",
        "svg",
        "nav",
        "footer",
        "header",
        "aside",
        "form",
        "iframe",
        "button",
        "select",
        "head",
    }
)
_MAIN = frozenset({"article", "main"})
_BLOCKS = frozenset(
    {
        "p",
        "div",
        "section",
        "li",
        "br",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "tr",
        "blockquote",
        "pre",
        "article",
        "main",
        "ul",
        "ol",
        "table",
        "dd",
        "dt",
        "figcaption",
    }
)
_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
)
MAX_TEXT_CHARS = 100_000


@dataclass(frozen=True)
class PageText:
    title: str
    text: str


def extract(html: str) -> PageText:
    """Title from og:title or <title>; text from <article>/<main> when there is one, else the whole body."""
    parser = _Extractor()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # noqa: BLE001 - html.parser is lenient, but hostile input must never fail an agent
        pass
    main = _tidy("".join(parser.main_parts))
    text = main if len(main) >= 200 else _tidy("".join(parser.all_parts))
    title = _tidy(parser.og_title or "".join(parser.title_parts)).replace("\n", " ")
    return PageText(title=title[:300], text=text[:MAX_TEXT_CHARS])


def plain_text(text: str) -> PageText:
    """A text/plain page: its first line, when short, stands in for a title."""
    tidy = _tidy(text)
    first = tidy.split("\n", 1)[0]
    return PageText(title=first if len(first) <= 120 else "", text=tidy[:MAX_TEXT_CHARS])


class _Extractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title_parts: list[str] = []
        self.og_title = ""
        self.main_parts: list[str] = []
        self.all_parts: list[str] = []
        self._skip_depth = 0
        self._main_depth = 0
        self._in_title = False
        self._stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "meta":
            values = dict(attrs)
            if (values.get("property") or values.get("name") or "").lower() == "og:title" and values.get("content"):
                self.og_title = values["content"] or ""
            return
        # An unclosed <title> ends where the body starts, not at the end of the document.
        self._in_title = tag == "title" or (self._in_title and tag not in _BLOCKS and tag != "body")
        if tag in _VOID:
            if tag == "br":
                self._emit("\n")
            return
        self._stack.append(tag)
        if tag in _SKIPPED:
            self._skip_depth += 1
        if tag in _MAIN:
            self._main_depth += 1
        if tag in _BLOCKS:
            self._emit("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("title", "head"):
            self._in_title = False
        if tag not in self._stack:
            return  # a stray end tag in malformed HTML closes nothing
        # Close everything opened inside the tag too, as browsers do with unclosed elements.
        while self._stack:
            open_tag = self._stack.pop()
            if open_tag in _SKIPPED:
                self._skip_depth -= 1
            if open_tag in _MAIN:
                self._main_depth -= 1
            if open_tag == tag:
                break
        if tag in _BLOCKS:
            self._emit("\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title_parts.append(data)
            return
        self._emit(data)

    def _emit(self, data: str) -> None:
        if self._skip_depth > 0:
            return
        self.all_parts.append(data)
        if self._main_depth > 0:
            self.main_parts.append(data)


def _tidy(text: str) -> str:
    lines = (" ".join(line.split()) for line in text.splitlines())
    return re.sub(r"\n{2,}", "\n", "\n".join(line for line in lines if line)).strip()

"""Local formatting: a description rewritten as tidy Markdown with its words unchanged."""

from __future__ import annotations

import re

from kanban.worker.providers.tasks import Formatted, FormattingRequest

_BULLET = re.compile(r"^(?P<indent>\s*)(?:[-*+]\s+|[•·–—▪◦]\s*)(?P<box>\[[ xX]?\]\s*)?(?P<text>.*)$")
_BOX = re.compile(r"^(?P<indent>\s*)\[(?P<mark>[ xX]?)\]\s*(?P<text>.*)$")
_NUMBERED = re.compile(r"^(?P<indent>\s*)\(?(?P<n>\d{1,3})[.)]\s+(?P<text>.*)$")
_BARE_URL = re.compile(r"(?<![<(\[\"'`=])\bhttps?://[^\s<>()\[\]`]+", re.IGNORECASE)
_FENCE = re.compile(r"^\s*(```|~~~)")
_LIST_KINDS = ("bullet", "number")


def format_description(request: FormattingRequest) -> Formatted:
    return Formatted(markdown=to_markdown(request.description), confidence=0.7)


def to_markdown(text: str) -> str:
    lines: list[str] = []
    kinds: list[str] = []  # per output line: "blank", "bullet", "number", "text", "code"
    number = 0
    in_code = False
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = raw.rstrip().replace("\t", "    ")
        if _FENCE.match(line):
            in_code = not in_code
            _append(lines, kinds, line.strip(), "code")
            continue
        if in_code:
            _append(lines, kinds, raw.rstrip(), "code")
            continue
        kind, line, number = _classify(line, number)
        _append(lines, kinds, line, kind)
    while lines and kinds[-1] == "blank":
        lines.pop()
        kinds.pop()
    return "\n".join(lines).strip("\n")


def _classify(line: str, number: int) -> tuple[str, str, int]:
    if not line.strip():
        return "blank", "", number
    indent = "  " * (_indent(line) // 2)
    bullet = _BULLET.match(line)
    if bullet:
        return "bullet", f"{indent}- {_checkbox(bullet.group('box'))}{_links(bullet.group('text').strip())}", 0
    box = _BOX.match(line)
    if box:
        return "bullet", f"{indent}- {_checkbox(box.group('mark'))}{_links(box.group('text').strip())}", 0
    numbered = _NUMBERED.match(line)
    if numbered:
        # Top-level lists are renumbered 1, 2, 3; nested ones keep the author's numbers.
        number = number + 1 if not indent else int(numbered.group("n"))
        return "number", f"{indent}{number}. {_links(numbered.group('text').strip())}", number
    text = _links(" ".join(line.split()))
    return ("continuation", f"  {text}", number) if indent else ("text", text, 0)


def _checkbox(mark: str | None) -> str:
    if mark is None:
        return ""
    return "[x] " if "x" in mark.lower() else "[ ] "


def _append(lines: list[str], kinds: list[str], line: str, kind: str) -> None:
    previous = kinds[-1] if kinds else "blank"
    if kind == "blank":
        if previous != "blank":  # runs of blank lines become one
            lines.append("")
            kinds.append("blank")
        return
    if kind == "continuation":
        kind = previous if previous in _LIST_KINDS else "text"
        line = line if kind in _LIST_KINDS else line.strip()
    # A list right after a paragraph (or a paragraph right after a list) gets a blank line between.
    if previous != "blank" and (kind in _LIST_KINDS) != (previous in _LIST_KINDS) and "code" not in (kind, previous):
        lines.append("")
        kinds.append("blank")
    lines.append(line)
    kinds.append(kind)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _links(text: str) -> str:
    """Bare URLs become <autolinks>; ones already in <>, () or [] stay as they are."""
    return _BARE_URL.sub(lambda m: f"<{_trim(m.group(0))}>{m.group(0)[len(_trim(m.group(0))) :]}", text)


def _trim(url: str) -> str:
    return url.rstrip(".,;:!?'\"")

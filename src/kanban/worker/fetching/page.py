"""A fetched page: where it ended up, what it is, and its body decoded leniently."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.IGNORECASE)


@dataclass(frozen=True)
class FetchedPage:
    url: str
    status: int
    content_type: str
    charset: str | None
    body: bytes
    truncated: bool

    @property
    def is_html(self) -> bool:
        return self.content_type in ("text/html", "application/xhtml+xml")

    @property
    def is_text(self) -> bool:
        return self.content_type.startswith("text/") or self.content_type in (
            "application/xhtml+xml",
            "application/json",
            "application/xml",
        )

    def text(self) -> str:
        """The body as text: the declared charset, else a <meta charset>, else UTF-8; bad bytes replaced."""
        return self.body.decode(self._encoding(), errors="replace")

    def _encoding(self) -> str:
        candidates = [self.charset]
        if self.is_html:
            match = _META_CHARSET.search(self.body[:4096])
            candidates.append(match.group(1).decode("ascii", "replace") if match else None)
        for name in candidates:
            if name:
                try:
                    return codecs.lookup(name).name
                except LookupError:
                    continue
        return "utf-8"

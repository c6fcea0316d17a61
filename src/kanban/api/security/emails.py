"""Email addresses: one normal form for storage and comparison, and a look-alike skeleton.

Normal form: Unicode NFKC (so full-width `ＡＬＩＣＥ` is `alice`), lower-cased, the domain in its
IDNA-normalised Unicode form. The skeleton maps characters that look like Latin letters (Cyrillic
`а`, Greek `ο`, ...) to those letters and drops accents, so `аlice@example.test` (Cyrillic а) and
`alice@example.test` have the same skeleton: registering a look-alike of an existing account is
refused (409). This is a deliberately small table of the homoglyphs that matter for Latin-script
addresses, not the whole of Unicode's confusables list (UTS #39).
"""

from __future__ import annotations

import unicodedata

from email_validator import EmailNotValidError, validate_email

_LOOK_ALIKES = {
    # Cyrillic
    "а": "a", "в": "b", "с": "c", "ԁ": "d", "е": "e", "ё": "e", "һ": "h", "і": "i", "ї": "i", "ј": "j",
    "к": "k", "ӏ": "l", "м": "m", "н": "h", "о": "o", "р": "p", "ԛ": "q", "ѕ": "s", "т": "t", "у": "y",
    "ԝ": "w", "х": "x", "ү": "y", "ɡ": "g", "ո": "n", "ս": "u",
    # Greek
    "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t",
    "υ": "u", "χ": "x", "ω": "w", "ϲ": "c", "ϳ": "j",
    # Latin letters that pass for others (ASCII itself is left alone: `bob1` and `bobl` are two people)
    "ı": "i", "ł": "l", "ø": "o", "ſ": "s",
}  # fmt: skip


def normalise_email(value: str) -> str:
    """The stored form of a valid address; raises ValueError with a one-line reason otherwise."""
    value = unicodedata.normalize("NFKC", value).strip()
    try:
        # Syntax only, no DNS: a self-hosted board may live on a private domain (`.lan`, `.test`).
        checked = validate_email(value, check_deliverability=False, globally_deliverable=False, test_environment=True)
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from None
    if "." not in checked.ascii_domain.strip("."):
        raise ValueError("the part after the @-sign must be a domain name with a dot, such as example.test")
    return f"{checked.local_part}@{checked.domain}".lower()


def email_skeleton(email: str) -> str:
    """What the address looks like: look-alikes folded to Latin letters, accents dropped, case folded."""
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", email).casefold())
    return "".join(_LOOK_ALIKES.get(ch, ch) for ch in decomposed if not unicodedata.combining(ch))

"""What can go wrong when fetching a page, named for what happened."""

from __future__ import annotations


class FetchError(Exception):
    """Base of every fetching error; the message is one line meant for an operator."""


class FetchRefused(FetchError):
    """The URL, or an address it resolves or redirects to, is not allowed; no request was sent to it."""


class FetchFailed(FetchError):
    """The page could not be fetched: DNS, connection, TLS, HTTP status or too many redirects."""


class FetchTimedOut(FetchFailed):
    """The whole fetch, redirects included, took longer than allowed."""


class FetchTooLarge(FetchFailed):
    """The server announced a body larger than allowed, so none of it was read."""

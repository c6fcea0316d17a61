"""The events client's TLS: a plain-http peer loads no CA bundle, yet never trusts a certificate."""

from __future__ import annotations

import ssl

from kanban.messaging.transports.http import tls_for_peer


def test_an_https_peer_is_verified_against_the_default_roots() -> None:
    assert tls_for_peer("https://worker.example:8001/internal/events") is True


def test_a_plain_http_peer_gets_a_context_that_trusts_no_root_and_still_verifies() -> None:
    context = tls_for_peer("http://127.0.0.1:8001/internal/events")
    assert isinstance(context, ssl.SSLContext)
    assert context.cert_store_stats()["x509_ca"] == 0
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname


def test_the_scheme_is_read_case_insensitively() -> None:
    assert tls_for_peer("HTTPS://worker.example/internal/events") is True

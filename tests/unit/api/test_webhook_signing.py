"""Webhook signatures and how an answer is judged: what a receiver and the retry policy rely on."""

from __future__ import annotations

import hashlib
import hmac

from kanban.api.webhooks.sender import judged
from kanban.api.webhooks.signing import signature, verify


def test_the_signature_is_hmac_sha256_over_timestamp_and_body() -> None:
    body = b'{"deliveryId":"d1"}'
    header = signature("whsec_s", 1767312000, body)
    expected = hmac.new(b"whsec_s", b"1767312000." + body, hashlib.sha256).hexdigest()
    assert header == f"t=1767312000,v1={expected}"
    assert verify("whsec_s", header, body) == 1767312000
    assert verify("whsec_other", header, body) is None
    assert verify("whsec_s", header, body + b" ") is None
    assert verify("whsec_s", header.replace("t=1767312000", "t=1767312001"), body) is None
    assert verify("whsec_s", "garbage", body) is None


def test_server_errors_and_throttling_are_retried_other_answers_are_final() -> None:
    assert judged(204).delivered and not judged(204).retryable
    for status in (500, 502, 503, 408, 429):
        assert judged(status).retryable and not judged(status).delivered, status
    for status in (301, 400, 401, 404, 410):
        assert not judged(status).retryable and judged(status).error == f"HTTP {status}", status

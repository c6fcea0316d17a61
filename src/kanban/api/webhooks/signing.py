"""How a delivery is signed: HMAC-SHA256 over "{timestamp}.{body}" with the webhook's secret.

The header reads `t=1767312000,v1=<64 hex digits>`. Signing the timestamp with the body lets a
receiver refuse an old delivery replayed at it; the delivery id (X-Kanban-Delivery) lets it drop
the repeats that at-least-once delivery allows.
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Kanban-Signature"
DELIVERY_HEADER = "X-Kanban-Delivery"
EVENT_HEADER = "X-Kanban-Event"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(secret: str, header: str, body: bytes) -> int | None:
    """The signed timestamp when `header` is a valid signature of `body`, else None (what a receiver does)."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    stamp = parts.get("t", "")
    if not stamp.isdigit() or "v1" not in parts:
        return None
    expected = signature(secret, int(stamp), body)
    return int(stamp) if hmac.compare_digest(expected.encode(), header.strip().encode()) else None

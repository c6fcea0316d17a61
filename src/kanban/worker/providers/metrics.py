"""Prometheus metrics of provider calls, labelled by provider."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

TOKENS = Counter(
    "kanban_worker_provider_tokens_total",
    "Tokens a provider reported using, by kind (prompt or completion).",
    ["provider", "kind"],
)
LATENCY = Histogram(
    "kanban_worker_provider_latency_seconds",
    "Time one provider call took, retries included, by outcome.",
    ["provider", "outcome"],
    buckets=(0.001, 0.005, 0.025, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
FALLBACKS = Counter(
    "kanban_worker_provider_fallbacks_total",
    "Calls a provider could not answer that fell back to the local provider, by reason.",
    ["provider", "reason"],
)
RETRIES = Counter(
    "kanban_worker_provider_retries_total",
    "Provider calls retried after a transient error.",
    ["provider"],
)

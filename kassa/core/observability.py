"""Prometheus metrics kassa exports at /metrics."""

from __future__ import annotations

from typing import Any, TypeVar

from prometheus_client import Counter, Gauge, Histogram
from prometheus_client.metrics import MetricWrapperBase

_M = TypeVar("_M", bound=MetricWrapperBase)
_CHILDREN: dict[tuple[int, tuple[str, ...]], Any] = {}


def labelled(metric: _M, *values: str) -> _M:
    """`metric.labels(*values)`, kept: prometheus-client checks and locks on every call,
    a cost paid several times a request. The label sets are few (routes, statuses,
    providers, outcomes)."""
    key = (id(metric), values)
    found = _CHILDREN.get(key)
    if found is None:
        found = _CHILDREN[key] = metric.labels(*values)
    return found


REQUESTS = Counter(
    "kassa_http_requests_total", "HTTP requests by route and status", ["method", "route", "status"]
)
REQUEST_LATENCY = Histogram(
    "kassa_http_request_duration_seconds",
    "HTTP request latency by route",
    ["method", "route"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
PAYMENT_MOVES = Counter(
    "kassa_payment_transitions_total", "Payment status changes", ["provider", "status"]
)
PAYMENT_UPDATES = Counter(
    "kassa_payment_updates_total", "Provider updates by outcome", ["provider", "outcome"]
)
UNLOCKED_RETRIED = Counter(
    "kassa_compare_and_set_retried_total",
    "Provider calls tried without a lock and carried out again under it, by why: the rows "
    "changed meanwhile (changed), or the work needed another statement (needs_lock)",
    ["provider", "reason"],
)
WEBHOOK_REJECTED = Counter(
    "kassa_webhook_verifications_failed_total", "Webhooks refused as unauthentic", ["provider"]
)
RENEWALS = Counter(
    "kassa_renewals_total",
    "Subscription renewals by outcome: attempted, succeeded, failed",
    ["provider", "outcome"],
)
OUTBOX_DELIVERED = Counter("kassa_outbox_delivered_total", "Webhook deliveries that succeeded")
OUTBOX_DEAD = Counter("kassa_outbox_dead_total", "Webhook deliveries given up after 3 days")
RECONCILER_RUNS = Counter(
    "kassa_reconciler_checks_total",
    "Open payments checked with their provider",
    ["provider", "outcome"],
)
OUTBOX_BACKLOG = Gauge(
    "kassa_outbox_backlog", "Deliveries waiting to be made (at the relay's last run)"
)
OUTBOX_LAG = Gauge(
    "kassa_outbox_lag_seconds", "Age of the oldest undelivered event (at the relay's last run)"
)

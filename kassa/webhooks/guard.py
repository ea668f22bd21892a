"""Stricter limits for senders that fail webhook authentication: after too many failures a
minute, an address is answered 429 before anything is verified or read.

The shared counter (Redis, when set) is read only for addresses this process has itself seen
fail within the window: a provider that always authenticates costs no extra round trip, and
an attacker spread over several processes gains at most one attempt a process.
"""

from __future__ import annotations

import time

from fastapi import Request
from fastapi.responses import JSONResponse

from kassa.api.problems import problem
from kassa.observability import WEBHOOK_REJECTED
from kassa.runtime import Runtime


def _key(request: Request, provider: str) -> str:
    return f"whfail:{provider}:{request.client.host if request.client else '-'}"


WINDOW_SECONDS = 60.0
_MAX_TRACKED = 10_000
_recent_failures: dict[str, float] = {}  # key -> when this process last saw it fail


def _failed_lately(key: str) -> bool:
    seen = _recent_failures.get(key)
    return seen is not None and time.monotonic() - seen < WINDOW_SECONDS


async def refused_sender(rt: Runtime, request: Request, provider: str) -> JSONResponse | None:
    key = _key(request, provider)
    if not _failed_lately(key):
        return None
    if await rt.limiter.count(key) >= rt.settings.webhook_failures_per_minute:
        return problem(
            429,
            "rate_limited",
            "Too many requests",
            "too many unauthentic webhook calls from this address",
            headers={"Retry-After": "60"},
        )
    return None


async def record_failure(rt: Runtime, request: Request, provider: str) -> None:
    WEBHOOK_REJECTED.labels(provider).inc()
    key = _key(request, provider)
    if len(_recent_failures) >= _MAX_TRACKED:
        _recent_failures.clear()
    _recent_failures[key] = time.monotonic()
    await rt.limiter.hit(key, rt.settings.webhook_failures_per_minute)

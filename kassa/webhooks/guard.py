"""Stricter limits for senders that fail webhook authentication: after too many failures a
minute, an address is answered 429 before anything is verified or read."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse

from kassa.api.problems import problem
from kassa.observability import WEBHOOK_REJECTED
from kassa.runtime import Runtime


def _key(request: Request, provider: str) -> str:
    return f"whfail:{provider}:{request.client.host if request.client else '-'}"


async def refused_sender(rt: Runtime, request: Request, provider: str) -> JSONResponse | None:
    limit = rt.settings.webhook_failures_per_minute
    if await rt.limiter.count(_key(request, provider)) >= limit:
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
    await rt.limiter.hit(_key(request, provider), rt.settings.webhook_failures_per_minute)

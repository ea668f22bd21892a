"""What a webhook does with a call that failed verification: count it against its sender
and, past the limit, answer 429 so a forger learns nothing more for a while.

Verification always comes first, and only a call that failed it is ever counted or refused:
a genuine provider's delivery is never throttled, whatever others sent from the same or
any other address. The sender is the resolved one (after `TRUSTED_PROXIES`), so forgeries
relayed by our own proxy are not charged to the proxy, nor to the provider behind it.
Payme's and Click's protocols want HTTP 200 with their own error for every answer, so
their packages' replies say `throttle=False`: counted for the metrics, answered as the
provider expects.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from kassa.core.observability import WEBHOOK_REJECTED
from kassa.http.client_ip import Address, sender_address, trusted_networks
from kassa.http.problems import problem
from kassa.runtime import Runtime


def resolved_sender(rt: Runtime, request: Request) -> Address | None:
    return sender_address(
        request.client.host if request.client else None,
        request.headers.get("x-forwarded-for"),
        trusted_networks(rt.settings.trusted_proxies),
    )


async def unverified(
    rt: Runtime, request: Request, provider: str, answer: Response, *, throttle: bool = True
) -> Response:
    """The answer to a call that failed verification: `answer`, or 429 past the limit."""
    WEBHOOK_REJECTED.labels(provider).inc()
    key = f"whfail:{provider}:{resolved_sender(rt, request) or '-'}"
    verdict = await rt.limiter.hit(key, rt.settings.webhook_failures_per_minute)
    if verdict.allowed or not throttle:
        return answer
    refused: JSONResponse = problem(
        429,
        "rate_limited",
        "Too many requests",
        "too many unauthentic webhook calls from this address",
        headers={"Retry-After": str(verdict.retry_after)},
    )
    return refused

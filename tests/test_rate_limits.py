"""Rate limits: per caller, stricter for sign-ins and for unauthentic webhooks; 429 with
Retry-After, as a problem answer."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator

import httpx
import pytest

from kassa.app import create_app
from kassa.config import Settings
from kassa.runtime import Runtime
from kassa.services.rate_limits import RateLimiter
from tests.conftest import bearer, unique


@pytest.fixture
async def strict(settings: Settings, runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    """The real app over the shared database, with small limits and a fresh counter store."""
    tight = settings.model_copy(update={"rate_limit_per_minute": 5, "rate_limit_anonymous_per_minute": 3,
                                        "login_attempts_per_minute": 2, "webhook_failures_per_minute": 2})
    limited = Runtime(settings=tight, db=runtime.db, http=runtime.http, providers=runtime.providers,
                      box=runtime.box, redis=runtime.redis, limiter=RateLimiter(runtime.redis))
    app = create_app(tight, runtime=limited)
    peer = f"10.9.{secrets.randbelow(250)}.{secrets.randbelow(250)}"
    transport = httpx.ASGITransport(app=app, client=(peer, 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://kassa") as client:
        yield client


async def test_each_caller_has_its_own_budget(strict: httpx.AsyncClient) -> None:
    alice, bob = bearer(unique("alice")), bearer(unique("bob"))
    answers = [(await strict.get("/api/v1/payments", headers=alice)).status_code for _ in range(7)]
    assert answers[:5] == [200] * 5 and answers[5:] == [429, 429]
    refused = await strict.get("/api/v1/payments", headers=alice)
    assert refused.json()["code"] == "rate_limited" and int(refused.headers["retry-after"]) <= 60
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert (await strict.get("/api/v1/payments", headers=bob)).status_code == 200
    assert (await strict.get("/health")).status_code == 200  # never limited


async def test_anonymous_callers_are_limited_by_address(strict: httpx.AsyncClient) -> None:
    codes = [(await strict.get("/api/v1/tariffs")).status_code for _ in range(5)]
    assert codes.count(429) == 2


async def test_sign_ins_are_limited_harder(strict: httpx.AsyncClient) -> None:
    codes = [(await strict.post("/admin/login", data={"email": "x@y.z", "password": "nope"})).status_code
             for _ in range(4)]
    assert codes[:2] == [303, 303] and codes[2:] == [429, 429]


async def test_unauthentic_webhooks_are_cut_off(strict: httpx.AsyncClient) -> None:
    forged = {"Stripe-Signature": "t=1,v1=00"}
    answers = [(await strict.post("/webhooks/stripe", content=b"{}", headers=forged)).status_code for _ in range(3)]
    assert answers == [400, 400, 429]
    bad = {"Authorization": "Basic d3Jvbmc6d3Jvbmc="}
    body = {"jsonrpc": "2.0", "id": 1, "method": "CheckTransaction", "params": {"id": "x"}}
    payme = [await strict.post("/webhooks/payme", json=body, headers=bad) for _ in range(3)]
    # Payme's protocol: HTTP 200 and a JSON-RPC error, always
    assert [(a.status_code, a.json()["error"]["code"]) for a in payme] == [(200, -32504)] * 3

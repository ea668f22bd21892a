"""Rate limits: per caller, stricter for sign-ins and for unauthentic webhooks; 429 with
Retry-After, as a problem answer."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator

import httpx
import pytest

from kassa.app import create_app
from kassa.core.rate_limits import RateLimiter
from kassa.core.settings import Settings
from kassa.runtime import Runtime
from tests.conftest import bearer, unique


async def whole_window_ahead(needed: float = 10.0) -> None:
    """The limits count in fixed minutes (`kassa.core.rate_limits`): a test's requests that
    straddled a minute's end would be counted in two windows. Waits for the next minute
    when less than `needed` seconds of this one are left."""
    left = 60 - time.time() % 60
    if left < needed:
        await asyncio.sleep(left + 0.05)


@pytest.fixture
async def strict(settings: Settings, runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    """The real app over the shared database, with small limits and a fresh counter store."""
    tight = settings.model_copy(update={"rate_limit_per_minute": 5, "rate_limit_anonymous_per_minute": 3,
                                        "login_attempts_per_minute": 2, "webhook_failures_per_minute": 2})
    limited = Runtime(settings=tight, db=runtime.db, http=runtime.http, providers=runtime.providers,
                      box=runtime.box, redis=runtime.redis, limiter=RateLimiter(runtime.redis))
    app = create_app(tight, runtime=limited)
    peer = f"10.9.{secrets.randbelow(250)}.{secrets.randbelow(250)}"
    await whole_window_ahead()
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


async def test_invented_api_keys_count_against_the_sender(strict: httpx.AsyncClient) -> None:
    codes = [(await strict.get("/api/v1/payments", headers={"X-API-Key": secrets.token_hex(16)})).status_code
             for _ in range(5)]
    assert codes[:3] == [401, 401, 401] and codes[3:] == [429, 429]
    forged_tokens = [(await strict.get("/api/v1/payments", headers={"Authorization": f"Bearer {secrets.token_hex(20)}"})).status_code
                     for _ in range(2)]
    assert forged_tokens == [429, 429]  # the same address's budget


async def test_service_keys_have_their_own_larger_budget(settings: Settings, runtime: Runtime) -> None:
    from kassa.services.accounts.api_keys import create_api_key

    tuned = settings.model_copy(update={"rate_limit_per_minute": 2, "rate_limit_service_per_minute": 6,
                                        "rate_limit_anonymous_per_minute": 2})
    limited = Runtime(settings=tuned, db=runtime.db, http=runtime.http, providers=runtime.providers,
                      box=runtime.box, redis=runtime.redis, limiter=RateLimiter(runtime.redis))
    _, default_key = await create_api_key(runtime.db, unique("backend"))
    _, tuned_key = await create_api_key(runtime.db, unique("reports"), rate_limit_per_minute=3)
    await whole_window_ahead()
    transport = httpx.ASGITransport(app=create_app(tuned, runtime=limited), client=("10.8.0.1", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://kassa") as client:
        default = [(await client.get("/api/v1/payments", headers={"X-API-Key": default_key})).status_code
                   for _ in range(8)]
        own = [(await client.get("/api/v1/payments", headers={"X-API-Key": tuned_key})).status_code
               for _ in range(5)]
    assert default == [200] * 6 + [429, 429]
    assert own == [200] * 3 + [429, 429]


async def test_a_flood_of_new_names_does_not_reset_a_busy_counter(monkeypatch: pytest.MonkeyPatch) -> None:
    from kassa.core import rate_limits

    monkeypatch.setattr(rate_limits, "MAX_MEMORY_COUNTERS", 50)
    await whole_window_ahead()
    limiter = RateLimiter()
    for _ in range(3):
        await limiter.hit("login:203.0.113.7", 3)
    refused = []
    for i in range(500):
        await limiter.hit(f"ip:flood-{i}", 3)
        if i % 10 == 0:  # the brute-forcer keeps trying while others flood
            refused.append((await limiter.hit("login:203.0.113.7", 3)).allowed)
    assert refused and not any(refused)
    assert len(limiter._memory) <= 50


async def test_processes_sharing_redis_let_exactly_the_limit_through(runtime: Runtime) -> None:
    """Each process reserves hits in blocks; however the calls fall between two processes,
    one window lets the limit through, no more, and everyone is refused after it."""
    import random

    if runtime.redis is None:
        pytest.skip("the shared budget lives in Redis (the PostgreSQL run has it)")
    await whole_window_ahead()
    first, second = RateLimiter(runtime.redis), RateLimiter(runtime.redis)
    key, limit = unique("spread"), 700
    shuffle = random.Random(7)
    verdicts = [await shuffle.choice((first, second)).hit(key, limit) for _ in range(3 * limit)]
    assert sum(v.allowed for v in verdicts) == limit
    assert not any(v.allowed for v in verdicts[-limit:])
    assert not (await first.hit(key, limit)).allowed and not (await second.hit(key, limit)).allowed


async def test_one_process_spends_exactly_its_callers_budget(runtime: Runtime) -> None:
    if runtime.redis is None:
        pytest.skip("the shared budget lives in Redis (the PostgreSQL run has it)")
    await whole_window_ahead()
    limiter, key = RateLimiter(runtime.redis), unique("steady")
    verdicts = [await limiter.hit(key, 1200) for _ in range(1300)]
    assert [v.allowed for v in verdicts] == [True] * 1200 + [False] * 100

"""The webhook edge never refuses the genuine sender: forged calls are counted against their
resolved sender (after TRUSTED_PROXIES) and throttled, a delivery that verifies never is,
and Payme always gets HTTP 200 with its JSON-RPC error."""

from __future__ import annotations

import base64
import secrets
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from kassa.app import create_app
from kassa.core.rate_limits import RateLimiter
from kassa.core.settings import Settings
from kassa.providers.payme.plugin import SANDBOX_PAYME_SECRET_KEY
from kassa.runtime import Runtime
from tests.conftest import bearer, unique
from tests.providers.test_stripe import signed

PROXY = "10.77.0.1"
FLOOD = 40
PAYME_AUTH = {"Authorization": "Basic " + base64.b64encode(f"Paycom:{SANDBOX_PAYME_SECRET_KEY}".encode()).decode()}
FORGED_PAYME = {"Authorization": "Basic " + base64.b64encode(b"Paycom:guess").decode()}


@pytest.fixture
async def edge(settings: Settings, runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    """kassa behind a trusted proxy, with a small forgery limit and a fresh counter store."""
    tight = settings.model_copy(update={"webhook_failures_per_minute": 5, "trusted_proxies": "10.77.0.0/16"})
    limited = Runtime(settings=tight, db=runtime.db, http=runtime.http, providers=runtime.providers,
                      box=runtime.box, redis=runtime.redis, limiter=RateLimiter(runtime.redis))
    transport = httpx.ASGITransport(app=create_app(tight, runtime=limited), client=(PROXY, 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://kassa") as client:
        yield client


def via(address: str) -> dict[str, str]:
    return {"X-Forwarded-For": address}


def stranger() -> str:
    return f"203.0.113.{secrets.randbelow(250) + 1}"


async def forge(edge: httpx.AsyncClient, path: str, sender: str, **request: Any) -> list[int]:
    return [(await edge.post(path, headers={**via(sender), **request.pop("headers", {})}, **request)).status_code
            for _ in range(FLOOD)]


async def test_a_signed_stripe_event_is_applied_after_a_flood_of_forgeries(
        edge: httpx.AsyncClient, client: httpx.AsyncClient) -> None:
    org, user = unique("org"), unique("u")
    payment = (await client.post("/api/v1/payments", json={
        "provider": "stripe", "amount": 5_000, "currency": "USD", "purpose": "wallet_topup",
        "organization_id": org}, headers=bearer(user, orgs=[org]))).json()
    sender = "54.187.174.169"  # one of Stripe's webhook addresses
    forged = {"content": b"{}", "headers": {"Stripe-Signature": "t=1,v1=00"}}
    same = await forge(edge, "/webhooks/stripe", sender, **dict(forged))
    others = await forge(edge, "/webhooks/stripe", stranger(), **dict(forged))
    assert same.count(429) > 0 and others.count(429) > 0  # forgers are throttled…
    event = {"id": f"evt_{secrets.token_hex(8)}", "type": "payment_intent.succeeded", "data": {"object": {
        "id": payment["provider_payment_id"], "object": "payment_intent", "status": "succeeded",
        "amount": 5_000, "amount_received": 5_000, "currency": "usd",
        "metadata": {"payment_id": payment["id"]}}}}
    body, signature = signed(event)
    genuine = await edge.post("/webhooks/stripe", content=body,
                              headers={**via(sender), "Stripe-Signature": signature})
    assert genuine.status_code == 200 and genuine.json()["outcome"] == "applied"  # …Stripe is not
    got = await client.get(f"/api/v1/payments/{payment['id']}", headers=bearer(user, orgs=[org]))
    assert got.json()["status"] == "succeeded"


async def test_payme_always_gets_http_200_and_its_genuine_call_is_answered(
        edge: httpx.AsyncClient, client: httpx.AsyncClient) -> None:
    user = unique("u")
    payment = (await client.post("/api/v1/payments", json={"provider": "payme", "amount": 500_000, "currency": "UZS"},
                                 headers=bearer(user))).json()
    call = {"jsonrpc": "2.0", "id": 3, "method": "CheckTransaction", "params": {"id": "x"}}
    sender = "185.234.113.5"  # Payme's own range
    for address in (sender, stranger()):
        answers = [await edge.post("/webhooks/payme", json=call, headers={**via(address), **FORGED_PAYME})
                   for _ in range(FLOOD)]
        assert {a.status_code for a in answers} == {200}
        assert {a.json()["error"]["code"] for a in answers} == {-32504}
    create = {"jsonrpc": "2.0", "id": 4, "method": "CreateTransaction", "params": {
        "id": secrets.token_hex(12), "time": int(time.time() * 1000), "amount": 500_000,
        "account": {"order_id": payment["id"]}}}
    genuine = await edge.post("/webhooks/payme", json=create, headers={**via(sender), **PAYME_AUTH})
    assert genuine.status_code == 200 and genuine.json()["result"]["state"] == 1
    got = await client.get(f"/api/v1/payments/{payment['id']}", headers=bearer(user))
    assert got.json()["status"] == "processing"


async def test_yookassa_is_heard_although_forgeries_came_through_the_same_proxy(
        edge: httpx.AsyncClient, client: httpx.AsyncClient) -> None:
    user = unique("u")
    payment = (await client.post("/api/v1/payments", json={
        "provider": "yookassa", "amount": 59_900, "currency": "RUB"}, headers=bearer(user))).json()
    await client.post(payment["checkout_url"], data={"action": "pay"})
    note = {"type": "notification", "event": "payment.succeeded",
            "object": {"id": payment["provider_payment_id"], "status": "succeeded"}}
    forged = [(await edge.post("/webhooks/yookassa", json=note, headers=via(stranger()))).status_code
              for _ in range(FLOOD)]
    forged += [(await edge.post("/webhooks/yookassa", json=note)).status_code for _ in range(FLOOD)]  # the proxy itself
    assert set(forged) == {403, 429} and forged.count(429) > 0
    for yookassa in ("185.71.76.5", "2a02:5180:0:2b00::1"):  # the second only in the documented /32
        genuine = await edge.post("/webhooks/yookassa", json=note, headers=via(yookassa))
        assert genuine.status_code == 200, genuine.text
        assert genuine.json()["status"] == "succeeded"
